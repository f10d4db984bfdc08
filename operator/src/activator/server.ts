// The activator: an HTTP proxy inside the operator process that stands in for the pods of scale-to-zero
// ModelDeployments (their public Service's Endpoints point here). Per request: which deployment (target.ts), which
// track (split.ts), a ready endpoint now or after an activation (activation.ts) within a bounded hold (queue.ts),
// then forward (proxy.ts).
import { setMaxListeners } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { ModelDeployment } from "../api/v1alpha1/index.js";
import { Informer, InformerGroup, type ObjectCache } from "../controller/informer.js";
import type { KubeClient } from "../kube/client.js";
import type { EndpointSlice } from "../kube/models.js";
import { RESOURCES } from "../kube/resources.js";
import { childNames, LABEL_MDEP } from "../modeldeployment/names.js";
import { type ActivationApi, Activations, kubeActivationApi } from "./activation.js";
import { EndpointTracker } from "./endpoints.js";
import { ActivatorError, Code } from "./errors.js";
import { createActivatorMetrics } from "./metrics.js";
import { AgentPool, forward, readBody } from "./proxy.js";
import { activationTimeout, HoldQueue, type NotReadyCause } from "./queue.js";
import { canaryPercent, holdSettings } from "./settings.js";
import { chooseTrack, endpointId, RoundRobin } from "./split.js";
import { resolveTarget, type TargetRef } from "./target.js";

export interface ActivatorOptions {
  host: string;
  port: number;
  /** Namespaces to watch (all when empty), as the operator's --namespaces. */
  namespaces: readonly string[];
  /** The activator's API client (its own field manager, liftoff-activator). */
  client: KubeClient;
  registry: Registry;
  log: Logger;
  /** Bodies up to this size are buffered, so a request can be replayed on another pod (the runtime's default limit). */
  bufferLimitBytes?: number;
  /** Time to a pod's response headers before 504. */
  upstreamTimeoutMs?: number;
  /** Tests: caches and API calls to use instead of informers and the cluster. */
  modelDeployments?: ObjectCache<ModelDeployment>;
  endpointSlices?: ObjectCache<EndpointSlice>;
  api?: ActivationApi;
  activationPollMs?: number;
}

export interface ActivatorHandle {
  /** http://host:port of the listener (127.0.0.1 when bound to every address). */
  url: string;
  address: { host: string; port: number };
  /** Requests held now for ns/name (tests). */
  held(namespace: string, name: string): number;
  close(): Promise<void>;
}

const DEFAULT_BUFFER_LIMIT_BYTES = 10 * 1024 * 1024;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 300_000;

function informerGroup<T extends EndpointSlice | ModelDeployment>(
  client: KubeClient,
  resource: typeof RESOURCES.EndpointSlice | typeof RESOURCES.ModelDeployment,
  namespaces: readonly string[],
  log: Logger,
  labelSelector?: string,
): InformerGroup<T> {
  const scopes = namespaces.length > 0 ? namespaces : [undefined];
  return new InformerGroup<T>(
    resource as never,
    scopes.map(
      (namespace) =>
        new Informer<T>(client, resource as never, {
          ...(namespace ? { namespace } : {}),
          ...(labelSelector ? { labelSelector } : {}),
          log,
        }),
    ),
  );
}

function sendError(res: ServerResponse, err: ActivatorError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.toJSON());
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(err.retryAfter !== undefined ? { "retry-after": String(err.retryAfter) } : {}),
  });
  res.end(body);
}

export async function startActivator(opts: ActivatorOptions): Promise<ActivatorHandle> {
  const log = opts.log.child({ component: "activator" });
  const metrics = createActivatorMetrics(opts.registry);
  const groups: InformerGroup<EndpointSlice | ModelDeployment>[] = [];
  const mdeps =
    opts.modelDeployments ??
    (() => {
      const g = informerGroup<ModelDeployment>(opts.client, RESOURCES.ModelDeployment, opts.namespaces, log);
      groups.push(g as never);
      return g;
    })();
  // The track Services carry the ModelDeployment label, which the EndpointSlice controller copies to their slices.
  const slices =
    opts.endpointSlices ??
    (() => {
      const g = informerGroup<EndpointSlice>(opts.client, RESOURCES.EndpointSlice, opts.namespaces, log, LABEL_MDEP);
      groups.push(g as never);
      return g;
    })();
  for (const g of groups) void g.run();
  const synced = Promise.all(groups.map((g) => g.synced()));

  const tracker = new EndpointTracker(slices);
  const api = opts.api ?? kubeActivationApi(opts.client);
  const activations = new Activations(api, {
    log,
    ready: (namespace, name, track) => tracker.ready(namespace, childNames(name).trackService(track)).length > 0,
    ...(opts.activationPollMs ? { pollMs: opts.activationPollMs } : {}),
  });
  const queue = new HoldQueue((d) => metrics.held.inc(d));
  const rr = new RoundRobin();
  const agents = new AgentPool();
  const lastActivationError = new Map<string, string>();
  const closing = new AbortController();
  // One listener per held request (up to queueLimit per deployment): no leak, so no "MaxListenersExceeded" warning.
  setMaxListeners(0, closing.signal);
  const bufferLimit = opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT_BYTES;
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;

  // Connections to pods that left every slice are closed.
  slices.onEvent(() => {
    const live = new Set<string>();
    for (const s of slices.list()) {
      for (const e of s.endpoints ?? [])
        for (const ip of e.addresses ?? []) for (const p of s.ports ?? []) live.add(`${ip}:${p.port}`);
    }
    agents.retain(live);
  });

  const byName = (name: string): TargetRef[] =>
    mdeps
      .list()
      .filter((m) => m.metadata?.name === name && holdSettings(m).scaleToZero)
      .map((m) => ({ namespace: m.metadata?.namespace ?? "", name }));

  /** Why no pod is ready: a pod's waiting reason, else the deployment's last failure, else a failed activation. */
  async function causeOf(mdep: ModelDeployment, track: "stable" | "canary"): Promise<NotReadyCause | undefined> {
    const ns = mdep.metadata?.namespace ?? "";
    const name = mdep.metadata?.name ?? "";
    try {
      const c = await api.notReadyCause(ns, name, track);
      if (c) return c;
    } catch {
      // Unreadable pods: fall back to what the status says.
    }
    const f = mdep.status?.lastFailure;
    if (f) return { reason: f.reason, message: f.message, ...(f.pod ? { pod: f.pod } : {}) };
    const act = lastActivationError.get(`${ns}/${name}/${track}`);
    if (act) return { reason: "not activated", message: act };
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, gone: () => boolean): Promise<number> {
    const t = resolveTarget({ url: req.url ?? "/", headers: req.headers }, byName);
    if (!t.ok) {
      throw new ActivatorError(
        t.status === 400 ? Code.LIFTOFF_ERR_BAD_REQUEST : Code.LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND,
        t.message,
      );
    }
    const { namespace, name } = t.target;
    const key = `${namespace}/${name}`;
    let mdep = mdeps.get(key);
    if (!mdep) {
      // Right after start the cache may still be filling.
      await Promise.race([synced, new Promise((r) => setTimeout(r, 5000).unref())]);
      mdep = mdeps.get(key);
    }
    if (!mdep) throw new ActivatorError(Code.LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND, `ModelDeployment ${key} not found`);
    const hold = holdSettings(mdep);
    // Only the deployments the activator fronts: any other is reached through its own Service, under its own
    // namespace's NetworkPolicy, never through the operator's address.
    if (!hold.scaleToZero) {
      throw new ActivatorError(
        Code.LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND,
        `ModelDeployment ${key} does not scale to zero (autoscaling.minReplicas 0): send requests to its Service`,
      );
    }
    const track = chooseTrack(canaryPercent(mdep));
    const service = childNames(name).trackService(track);

    if (tracker.ready(namespace, service).length === 0) {
      const release = queue.hold(key, hold.queueLimit);
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), hold.activationTimeoutSeconds * 1000);
      const onGone = () => deadline.abort();
      res.once("close", onGone);
      closing.signal.addEventListener("abort", onGone, { once: true });
      const start = performance.now();
      // Decided now: the request that finds no activation in flight is the one that times it.
      const started = !activations.active(namespace, name, track);
      try {
        // The mark stays at most while requests may be held, and never less than idleSeconds.
        activations.ensure(namespace, name, track, Math.max(hold.idleSeconds, hold.activationTimeoutSeconds)).then(
          () => lastActivationError.delete(`${key}/${track}`),
          (err: Error) => {
            lastActivationError.set(`${key}/${track}`, err.message);
            log.warn({ err, namespace, name, track }, "activator: activation failed");
          },
        );
        await tracker.waitReady(namespace, service, deadline.signal);
        if (started) metrics.activation.observe((performance.now() - start) / 1000);
      } catch {
        if (gone()) return 499;
        if (closing.signal.aborted) {
          throw new ActivatorError(
            Code.LIFTOFF_ERR_ACTIVATOR_STOPPING,
            "the activator is stopping; retry the request",
            1,
          );
        }
        throw activationTimeout(key, hold.activationTimeoutSeconds, await causeOf(mdep, track));
      } finally {
        clearTimeout(timer);
        res.off("close", onGone);
        closing.signal.removeEventListener("abort", onGone);
        release();
      }
    }

    const body = await readBody(req, bufferLimit);
    const rrKey = `${namespace}/${service}`;
    const result = await forward(
      req,
      res,
      t.path,
      body,
      (exclude) => rr.pick(rrKey, tracker.ready(namespace, service), exclude),
      { agents, upstreamTimeoutMs },
    );
    if (result.retried)
      log.debug({ key, endpoint: result.endpoint && endpointId(result.endpoint) }, "activator: retried");
    return result.status;
  }

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // The client went away: the response closed before it was finished.
    let clientGone = false;
    res.once("close", () => {
      if (!res.writableFinished) clientGone = true;
    });
    handle(req, res, () => clientGone).then(
      (status) => metrics.requests.inc({ code: String(status) }),
      (err: unknown) => {
        const e =
          err instanceof ActivatorError
            ? err
            : new ActivatorError(Code.LIFTOFF_ERR_UPSTREAM_UNAVAILABLE, "the activator could not forward the request");
        if (!(err instanceof ActivatorError)) log.error({ err }, "activator: request failed");
        const status = clientGone ? 499 : e.status;
        if (status !== 499) sendError(res, e);
        metrics.requests.inc({ code: String(status) });
      },
    );
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = opts.host === "0.0.0.0" || opts.host === "::" || opts.host === "" ? "127.0.0.1" : opts.host;
  log.info({ address: `${opts.host}:${addr.port}` }, "activator listening");
  return {
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${addr.port}`,
    address: { host: opts.host, port: addr.port },
    held: (namespace, name) => queue.count(`${namespace}/${name}`),
    async close() {
      closing.abort();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // Held and in-flight requests get a moment to finish, then their connections are cut.
      const cut = setTimeout(() => server.closeAllConnections(), 2000);
      cut.unref();
      await closed;
      clearTimeout(cut);
      await activations.close();
      for (const g of groups) g.stop();
      agents.close();
    },
  };
}
