// Bringing a track up from zero. KEDA owns 0↔1 from the metric, but its metric has not yet seen the first request, so
// the activator (1) marks the track's ScaledObject force-activated (KEDA then keeps it at ≥ 1 and does not scale it
// back while Prometheus catches up), (2) sets the Deployment's scale to 1 when it is 0 (not waiting for KEDA's poll),
// and (4) removes the mark once a pod of the track is ready and KEDA has seen the deployment active since then (its
// status.lastActiveTime, which KEDA refreshes while the mark is on), or after the bound given (the longer of
// idleSeconds and the hold's activationTimeoutSeconds), whichever is first. Not sooner: KEDA refreshes lastActiveTime
// at its first poll after the mark is set, seconds before the pod is ready, and with the mark gone and Prometheus not
// yet having seen a request it would scale the starting pod back to 0 after cooldownPeriod (idleSeconds) — seen on
// the local cluster with idleSeconds 5 and a 6 s pod start. After the mark is removed, KEDA's cooldown (idleSeconds
// from that lastActiveTime) leaves Prometheus time to see the forwarded requests. One activation per track at a
// time: concurrent requests join the one in flight.
import type { Logger } from "pino";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import { childNames, LABEL_MDEP, LABEL_TRACK, type Track } from "../modeldeployment/names.js";
import type { Permission } from "../rbac.js";
import type { NotReadyCause } from "./queue.js";

const FORCE_ACTIVATION = "autoscaling.keda.sh/force-activation";
export const ACTIVATOR_FIELD_MANAGER = "liftoff-activator";

/** The API calls an activation makes (a fake in unit tests). */
export interface ActivationApi {
  /** Sets or removes the force-activation annotation; false when the ScaledObject does not exist. */
  forceActivation(namespace: string, scaledObject: string, on: boolean): Promise<boolean>;
  /** The Deployment's scale (spec.replicas). */
  replicas(namespace: string, deployment: string): Promise<number>;
  scaleTo(namespace: string, deployment: string, replicas: number): Promise<void>;
  /** KEDA's status.lastActiveTime of the ScaledObject, if any. */
  lastActiveTime(namespace: string, scaledObject: string): Promise<string | undefined>;
  /** Why the track's pods are not ready, if a pod says (waiting reason, not-ready condition). */
  notReadyCause(namespace: string, name: string, track: Track): Promise<NotReadyCause | undefined>;
}

/** What the activator calls, for the operator's ClusterRole (kinds.ts). */
export const ACTIVATOR_PERMISSIONS: readonly Permission[] = [
  { resource: RESOURCES.EndpointSlice, verbs: ["list", "watch"] },
  { resource: RESOURCES.ScaledObject, verbs: ["get", "patch"] },
  { resource: RESOURCES.Deployment, verbs: ["get"] },
  { resource: RESOURCES.Deployment, subresource: "scale", verbs: ["patch"] },
  { resource: RESOURCES.Pod, verbs: ["list"] },
  { resource: RESOURCES.ModelDeployment, verbs: ["list", "watch"] },
];

const notFound = (err: unknown) => err instanceof KubeApiError && err.code === 404;

export function kubeActivationApi(client: KubeClient): ActivationApi {
  const ro = { timeoutMs: 10_000 };
  return {
    async forceActivation(namespace, scaledObject, on) {
      try {
        await client.mergePatch(
          RESOURCES.ScaledObject,
          namespace,
          scaledObject,
          { metadata: { annotations: { [FORCE_ACTIVATION]: on ? "true" : null } } },
          undefined,
          ro,
        );
        return true;
      } catch (err) {
        if (notFound(err)) return false;
        throw err;
      }
    },
    async replicas(namespace, deployment) {
      // The Deployment's spec.replicas is its scale's spec.replicas (unset means 1).
      const d = await client.get(RESOURCES.Deployment, namespace, deployment, ro);
      return d.spec?.replicas ?? 1;
    },
    async scaleTo(namespace, deployment, replicas) {
      await client.mergePatch(RESOURCES.Deployment, namespace, deployment, { spec: { replicas } }, "scale", ro);
    },
    async lastActiveTime(namespace, scaledObject) {
      const so = await client.getOptional(RESOURCES.ScaledObject, namespace, scaledObject, ro);
      return so?.status?.lastActiveTime;
    },
    async notReadyCause(namespace, name, track) {
      const { items } = await client.list(
        RESOURCES.Pod,
        namespace,
        { labelSelector: `${LABEL_MDEP}=${name},${LABEL_TRACK}=${track}` },
        ro,
      );
      for (const pod of items) {
        if (pod.metadata?.deletionTimestamp) continue;
        const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
        const waiting = statuses.find((s) => s.state?.waiting?.reason && s.state.waiting.reason !== "PodInitializing");
        const podName = pod.metadata?.name ?? "";
        if (waiting?.state?.waiting?.reason) {
          return {
            reason: waiting.state.waiting.reason,
            ...(waiting.state.waiting.message ? { message: waiting.state.waiting.message } : {}),
            pod: podName,
          };
        }
        const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
        if (unscheduled) {
          return { reason: unscheduled.reason ?? "Unschedulable", message: unscheduled.message ?? "", pod: podName };
        }
      }
      return undefined;
    },
  };
}

export interface ActivationOptions {
  log?: Logger;
  /** How often to read the ScaledObject's lastActiveTime while the mark is on. */
  pollMs?: number;
  now?: () => number;
  /** Whether the track has a ready endpoint now (the activator's EndpointSlice view); unset: always. */
  ready?: (namespace: string, name: string, track: Track) => boolean;
}

interface InFlight {
  started: number;
  /** When a ready pod of the track was first seen during this activation. */
  readyAt?: number;
  /** Resolves when the scale-up is asked for (the mark is set, the scale is ≥ 1). */
  requested: Promise<void>;
  timer?: NodeJS.Timeout;
  cancelled: boolean;
}

export class Activations {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly api: ActivationApi,
    private readonly opts: ActivationOptions = {},
  ) {}

  /**
   * Activates ns/name's track unless an activation of it is already in flight. Resolves once the scale-up was
   * requested, with whether this call started it; rejects when the API refused (the next request tries again).
   */
  async ensure(namespace: string, name: string, track: Track, boundSeconds: number): Promise<{ started: boolean }> {
    const key = `${namespace}/${name}/${track}`;
    const existing = this.inFlight.get(key);
    if (existing) {
      await existing.requested;
      return { started: false };
    }
    const now = this.opts.now ?? Date.now;
    const target = childNames(name).deployment(track);
    const entry: InFlight = { started: now(), requested: Promise.resolve(), cancelled: false };
    entry.requested = (async () => {
      const marked = await this.api.forceActivation(namespace, target, true);
      if (!marked) this.opts.log?.warn({ namespace, scaledObject: target }, "activator: no ScaledObject to mark");
      if ((await this.api.replicas(namespace, target)) < 1) await this.api.scaleTo(namespace, target, 1);
      this.opts.log?.info({ namespace, deployment: target, marked }, "activator: activating");
      this.release(key, namespace, name, track, entry, boundSeconds, marked);
    })();
    this.inFlight.set(key, entry);
    try {
      await entry.requested;
    } catch (err) {
      this.inFlight.delete(key);
      // Best effort: an activation that failed half-way must not leave the mark on (KEDA would never scale to 0).
      void this.api.forceActivation(namespace, target, false).catch(() => undefined);
      throw err;
    }
    return { started: true };
  }

  /** Whether an activation of the track is in flight (tests, metrics). */
  active(namespace: string, name: string, track: Track): boolean {
    return this.inFlight.has(`${namespace}/${name}/${track}`);
  }

  /** Removes the mark once a pod is ready and KEDA saw activity since, or after boundSeconds. */
  private release(
    key: string,
    namespace: string,
    name: string,
    track: Track,
    entry: InFlight,
    boundSeconds: number,
    marked: boolean,
  ): void {
    const scaledObject = childNames(name).deployment(track);
    const now = this.opts.now ?? Date.now;
    const pollMs = this.opts.pollMs ?? 2000;
    const unmark = async () => {
      this.inFlight.delete(key);
      if (!marked) return;
      try {
        await this.api.forceActivation(namespace, scaledObject, false);
      } catch (err) {
        this.opts.log?.warn({ err, namespace, scaledObject }, "activator: could not remove the force-activation mark");
      }
    };
    const tick = async () => {
      if (entry.cancelled) return;
      let seen = false;
      if (entry.readyAt === undefined && (this.opts.ready?.(namespace, name, track) ?? true)) entry.readyAt = now();
      try {
        const last =
          marked && entry.readyAt !== undefined ? await this.api.lastActiveTime(namespace, scaledObject) : undefined;
        // lastActiveTime has second precision: compare with the ready time rounded down to the second.
        seen = last !== undefined && Date.parse(last) >= Math.floor((entry.readyAt ?? 0) / 1000) * 1000;
      } catch {
        // Try again at the next tick; the bound still applies.
      }
      if (entry.cancelled) return;
      if (seen || !marked || now() - entry.started >= boundSeconds * 1000) {
        await unmark();
        return;
      }
      entry.timer = setTimeout(tick, pollMs);
      entry.timer.unref();
    };
    entry.timer = setTimeout(tick, pollMs);
    entry.timer.unref();
  }

  /** Stops the watches over marks and removes the marks still on (so a stopped activator leaves KEDA in charge). */
  async close(): Promise<void> {
    const pending = [...this.inFlight.entries()];
    this.inFlight.clear();
    await Promise.all(
      pending.map(async ([key, e]) => {
        e.cancelled = true;
        clearTimeout(e.timer);
        const [namespace = "", name = "", track = "stable"] = key.split("/");
        await this.api
          .forceActivation(namespace, childNames(name).deployment(track as Track), false)
          .catch(() => undefined);
      }),
    );
  }
}
