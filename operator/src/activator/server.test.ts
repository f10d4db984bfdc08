// The activator end to end against local HTTP servers standing in for pods: in-memory caches replace the informers
// and a fake replaces the API calls, so each test drives endpoints appearing as a cluster would.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelDeployment } from "../api/v1alpha1/index.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { KubeClient } from "../kube/client.js";
import type { EndpointSlice } from "../kube/models.js";
import { RESOURCES } from "../kube/resources.js";
import type { ActivationApi } from "./activation.js";
import type { NotReadyCause } from "./queue.js";
import { type ActivatorHandle, startActivator } from "./server.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const S2Z = { minReplicas: 0, maxReplicas: 3 };

function mdep(name: string, autoscaling: Record<string, unknown> = S2Z, canary?: number): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name, namespace: "team" },
    spec: {
      model: { uri: "s3://m/model.onnx" },
      autoscaling,
      ...(canary !== undefined ? { canary: { model: { uri: "s3://m/c.onnx" }, trafficPercent: canary } } : {}),
    },
    ...(canary !== undefined
      ? {
          status: {
            canary: { uri: "s3://m/c.onnx", trafficPercent: canary, readyReplicas: 0, trafficSplit: "ReplicaRatio" },
          },
        }
      : {}),
  } as unknown as ModelDeployment;
}

function slice(service: string, ports: number[], opts: { ready?: boolean; terminating?: boolean } = {}): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${service}-x`, namespace: "team", labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    // One endpoint per port on 127.0.0.1: local servers stand in for pods.
    endpoints: [
      { addresses: ["127.0.0.1"], conditions: { ready: opts.ready ?? true, terminating: opts.terminating ?? false } },
    ],
    ports: [{ name: "http", port: ports[0] ?? 0 }],
  };
}

/** Several endpoints as separate slices (one port each), as the tracker joins them. */
function slices(service: string, ports: number[]): EndpointSlice[] {
  return ports.map((p, i) => ({
    ...slice(service, [p]),
    metadata: { ...slice(service, [p]).metadata, name: `${service}-${i}` },
  }));
}

async function upstream(handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

class FakeApi implements ActivationApi {
  calls: string[] = [];
  replicaCount = 0;
  cause: NotReadyCause | undefined;
  onScale: () => void = () => undefined;
  async forceActivation(_ns: string, so: string, on: boolean) {
    this.calls.push(`mark ${so} ${on}`);
    return true;
  }
  async replicas() {
    return this.replicaCount;
  }
  async scaleTo(_ns: string, d: string, n: number) {
    this.calls.push(`scale ${d} ${n}`);
    this.replicaCount = n;
    this.onScale();
  }
  async lastActiveTime() {
    return undefined;
  }
  async notReadyCause() {
    return this.cause;
  }
}

interface Setup {
  act: ActivatorHandle;
  mdeps: FakeCache<ModelDeployment>;
  eps: FakeCache<EndpointSlice>;
  api: FakeApi;
  registry: Registry;
}

async function start(
  objs: ModelDeployment[],
  sl: EndpointSlice[] = [],
  upstreamTimeoutMs?: number,
  bufferLimitBytes?: number,
): Promise<Setup> {
  const mdeps = new FakeCache(RESOURCES.ModelDeployment, objs);
  const eps = new FakeCache(RESOURCES.EndpointSlice, sl);
  const api = new FakeApi();
  const registry = new Registry();
  const act = await startActivator({
    host: "127.0.0.1",
    port: 0,
    namespaces: [],
    client: {} as KubeClient,
    registry,
    log: pino({ level: "silent" }),
    modelDeployments: mdeps,
    endpointSlices: eps,
    api,
    ...(upstreamTimeoutMs ? { upstreamTimeoutMs } : {}),
    ...(bufferLimitBytes ? { bufferLimitBytes } : {}),
  });
  cleanups.push(() => act.close());
  return { act, mdeps, eps, api, registry };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  url: string,
  opts: { path?: string; headers?: Record<string, string>; body?: string; method?: string } = {},
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      `${url}${opts.path ?? "/v2/models/m/infer"}`,
      {
        method: opts.method ?? "POST",
        headers: { "liftoff-modeldeployment": "team/m", ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body ?? '{"inputs":[]}');
  });
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("activator proxy", () => {
  it("forwards to a ready endpoint: path without the service-proxy prefix, body, X-Forwarded-For, no hop-by-hop headers", async () => {
    let seen: { url: string | undefined; body: string; headers: http.IncomingHttpHeaders } = {
      url: undefined,
      body: "",
      headers: {},
    };
    const pod = await upstream((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen = { url: req.url, body, headers: req.headers };
        res.writeHead(200, { "content-type": "application/json", "x-pod": "p1", "keep-alive": "timeout=5" });
        res.end('{"ok":true}');
      });
    });
    const { act, registry } = await start([mdep("m")], [slice("m-predictor", [pod.port])]);
    const r = await request(act.url, {
      path: "/api/v1/namespaces/team/services/m:http/proxy/v2/models/m/infer?x=1",
      headers: {
        "liftoff-modeldeployment": "",
        "proxy-authorization": "secret",
        connection: "keep-alive, x-drop",
        "x-drop": "1",
      },
      body: '{"inputs":[1]}',
    });
    expect(r).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(r.headers["x-pod"]).toBe("p1");
    expect(r.headers["keep-alive"]).not.toBe("timeout=5");
    expect(seen.url).toBe("/v2/models/m/infer?x=1");
    expect(seen.body).toBe('{"inputs":[1]}');
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(seen.headers["x-drop"]).toBeUndefined();
    expect(await registry.getSingleMetricAsString("liftoff_activator_requests_total")).toContain('code="200"} 1');
  });

  it("retries once on another endpoint when the first refuses the connection", async () => {
    const pod = await upstream((_req, res) => res.end("from live pod"));
    const dead = await deadPort();
    const { act } = await start([mdep("m")], slices("m-predictor", [dead, pod.port]));
    // Round-robin starts at the dead endpoint for the first request and reaches it again on the third.
    for (let i = 0; i < 4; i++) expect(await request(act.url)).toMatchObject({ status: 200, body: "from live pod" });
  });

  it("answers 502 JSON when the only endpoint refuses twice", async () => {
    const { act } = await start([mdep("m")], [slice("m-predictor", [await deadPort()])]);
    const r = await request(act.url);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ code: "LIFTOFF_ERR_UPSTREAM_UNAVAILABLE" });
    expect(r.body).toContain("ECONNREFUSED");
    expect(r.body).not.toContain("    at ");
  });

  it("answers 504 when the pod does not start answering in time", async () => {
    const pod = await upstream(() => undefined); // never answers
    const { act } = await start([mdep("m")], [slice("m-predictor", [pod.port])], 200);
    const r = await request(act.url);
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body).code).toBe("LIFTOFF_ERR_UPSTREAM_TIMEOUT");
  });

  it("streams the response: the client reads the first chunk before the pod writes the second", async () => {
    let firstSeen!: () => void;
    const clientGotFirst = new Promise<void>((r) => {
      firstSeen = r;
    });
    const pod = await upstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      void clientGotFirst.then(() => res.end("data: two\n\n"));
    });
    const { act } = await start([mdep("m")], [slice("m-predictor", [pod.port])]);
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${act.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "liftoff-modeldeployment": "team/m" },
      });
      req.on("response", (res) => {
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          chunks.push(c);
          if (chunks.length === 1) firstSeen();
        });
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end("{}");
    });
    expect(chunks.join("")).toBe("data: one\n\ndata: two\n\n");
    expect(chunks[0]).toBe("data: one\n\n");
  });

  it("fronts only scale-to-zero deployments: another is answered 404 naming its own Service", async () => {
    const pod = await upstream((_req, res) => res.end("should not be reached"));
    const { act } = await start([mdep("m", { minReplicas: 1, maxReplicas: 3 })], [slice("m-predictor", [pod.port])]);
    const r = await request(act.url);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({
      code: "LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND",
      error: "ModelDeployment team/m does not scale to zero (autoscaling.minReplicas 0): send requests to its Service",
    });
  });

  it("streams a body larger than the buffer to the pod whole", async () => {
    let received = "";
    const pod = await upstream((req, res) => {
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        received += c;
      });
      req.on("end", () => res.end(String(received.length)));
    });
    const { act } = await start([mdep("m")], [slice("m-predictor", [pod.port])], undefined, 16);
    const body = JSON.stringify({ inputs: "x".repeat(100_000) });
    const r = await request(act.url, { body });
    expect([r.status, r.body]).toEqual([200, String(body.length)]);
    expect(received).toBe(body);
  });

  it("a client that goes away mid-answer ends the pod's request, and the activator goes on serving", async () => {
    let podSawClose!: () => void;
    const closed = new Promise<void>((r) => {
      podSawClose = r;
    });
    const pod = await upstream((req, res) => {
      if (req.url === "/slow") {
        res.writeHead(200);
        res.write("partial");
        res.on("close", () => podSawClose());
        return;
      }
      res.end("fine");
    });
    const { act, registry } = await start([mdep("m")], [slice("m-predictor", [pod.port])]);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${act.url}/slow`, { method: "POST", headers: { "liftoff-modeldeployment": "team/m" } });
      req.on("response", (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      req.on("close", resolve);
      req.end("{}");
      setTimeout(() => reject(new Error("no response")), 10_000).unref();
    });
    await closed;
    expect((await request(act.url)).body).toBe("fine");
    const counts = await registry.getSingleMetricAsString("liftoff_activator_requests_total");
    expect(counts).toContain('code="499"} 1');
    expect(counts).toContain('code="200"} 1');
  });

  it("answers 404 JSON for a request naming no known deployment", async () => {
    const { act } = await start([mdep("m")]);
    const r = await request(act.url, { headers: { "liftoff-modeldeployment": "team/nope" } });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({
      error: "ModelDeployment team/nope not found",
      code: "LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND",
    });
  });

  it("skips not-ready and terminating endpoints", async () => {
    const pod = await upstream((_req, res) => res.end("ready one"));
    const other = await upstream((_req, res) => res.end("draining one"));
    const draining = {
      ...slice("m-predictor", [other.port], { terminating: true }),
      metadata: { name: "d", namespace: "team", labels: { "kubernetes.io/service-name": "m-predictor" } },
    };
    const { act } = await start([mdep("m")], [slice("m-predictor", [pod.port]), draining]);
    for (let i = 0; i < 3; i++) expect((await request(act.url)).body).toBe("ready one");
  });
});

describe("activator at zero", () => {
  const s2z = (extra: Record<string, unknown> = {}) => ({ minReplicas: 0, maxReplicas: 3, scaleToZero: { ...extra } });

  it("activates (marks the ScaledObject, scales 0 → 1), holds the request and forwards it once a pod is ready", async () => {
    const pod = await upstream((_req, res) => res.end("cold answer"));
    const { act, eps, api, registry } = await start([mdep("m", s2z())]);
    api.onScale = () => eps.set(slice("m-predictor", [pod.port]));
    const r = await request(act.url);
    expect(r).toMatchObject({ status: 200, body: "cold answer" });
    expect(api.calls).toEqual(["mark m-predictor true", "scale m-predictor 1"]);
    expect(act.held("team", "m")).toBe(0);
    expect(await registry.getSingleMetricAsString("liftoff_activator_activation_seconds")).toContain(
      "liftoff_activator_activation_seconds_count 1",
    );
  });

  it("coalesces: concurrent held requests make one activation", async () => {
    const pod = await upstream((_req, res) => res.end("ok"));
    const { act, eps, api } = await start([mdep("m", s2z())]);
    const replies = Promise.all([request(act.url), request(act.url), request(act.url)]);
    await until(() => act.held("team", "m") === 3, "3 held requests");
    eps.set(slice("m-predictor", [pod.port]));
    expect((await replies).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(api.calls.filter((c) => c.startsWith("scale"))).toEqual(["scale m-predictor 1"]);
  });

  it("answers 503 with Retry-After 1 when the queue is full", async () => {
    const { act } = await start([mdep("m", s2z({ queueLimit: 1 }))]);
    const first = request(act.url);
    await until(() => act.held("team", "m") === 1, "one held request");
    const r = await request(act.url);
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("1");
    expect(JSON.parse(r.body).code).toBe("LIFTOFF_ERR_ACTIVATION_QUEUE_FULL");
    await act.close();
    const held = await first;
    expect([held.status, JSON.parse(held.body).code]).toEqual([503, "LIFTOFF_ERR_ACTIVATOR_STOPPING"]);
  });

  it("fails a held request at the activation timeout with 503 naming the pod's waiting reason", async () => {
    const { act, api } = await start([mdep("m", s2z({ activationTimeoutSeconds: 1 }))]);
    api.cause = { reason: "ImagePullBackOff", message: 'image "x" not found', pod: "m-predictor-abc" };
    const r = await request(act.url);
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("1");
    expect(JSON.parse(r.body)).toEqual({
      code: "LIFTOFF_ERR_ACTIVATION_TIMEOUT",
      error:
        'ModelDeployment team/m did not activate: no ready pod within 1s; pod m-predictor-abc is ImagePullBackOff: image "x" not found',
    });
    expect(act.held("team", "m")).toBe(0);
  });

  it("releases a held request whose client goes away", async () => {
    const { act } = await start([mdep("m", s2z())]);
    const req = http.request(`${act.url}/v2/models/m/infer`, {
      method: "POST",
      headers: { "liftoff-modeldeployment": "team/m" },
    });
    req.on("error", () => undefined);
    req.end("{}");
    await until(() => act.held("team", "m") === 1, "one held request");
    req.destroy();
    await until(() => act.held("team", "m") === 0, "the hold released");
  });

  it("sends a 100 % canary's requests to the canary track and activates that one", async () => {
    const pod = await upstream((_req, res) => res.end("canary"));
    const { act, eps, api } = await start([mdep("m", s2z(), 100)]);
    api.onScale = () => eps.set(slice("m-canary", [pod.port]));
    expect((await request(act.url)).body).toBe("canary");
    expect(api.calls).toEqual(["mark m-canary true", "scale m-canary 1"]);
  });
});
