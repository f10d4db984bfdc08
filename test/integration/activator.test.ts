// The activator against the real cluster: a Deployment at 0 replicas behind its track Service; the first request is
// held, the activator scales the Deployment to 1 through the API server's scale subresource, the controller-manager's
// EndpointSlice for the new pod wakes the held request, and it is forwarded to the pod. A pod that never becomes
// ready fails held requests within the bound, naming why. (The ModelDeployment itself comes from an in-memory cache:
// the scale-to-zero API is opscale's; test/integration/autoscaling.test.ts covers the whole chain with the operator.)
import http from "node:http";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { type ActivatorHandle, startActivator } from "../../operator/src/activator/server.js";
import type { ModelDeployment } from "../../operator/src/api/v1alpha1/index.js";
import { FakeCache } from "../../operator/src/controller/fake-cache.js";
import { KubeClient } from "../../operator/src/kube/client.js";
import { RESOURCES } from "../../operator/src/kube/resources.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { pollUntil } from "../support/poll.js";
import { TESTBOX } from "./node-agent-helpers.js";

let kc: KubeConfig;
let ns: { name: string; delete(): Promise<void> };
let act: ActivatorHandle;
const mdeps = new FakeCache(RESOURCES.ModelDeployment);

function mdep(name: string, activationTimeoutSeconds: number): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name, namespace: ns.name },
    spec: {
      model: { uri: "s3://m/model.onnx" },
      autoscaling: { minReplicas: 0, maxReplicas: 2, scaleToZero: { activationTimeoutSeconds, queueLimit: 10 } },
    },
  } as unknown as ModelDeployment;
}

/** What the operator makes for a scale-to-zero track: a Deployment (at 0) and its track Service. */
async function track(name: string, image: string): Promise<void> {
  const labels = { "liftoff.dev/modeldeployment": name, "liftoff.dev/track": "stable" };
  const deployment: V1Deployment = {
    metadata: { name: `${name}-predictor`, labels },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "box",
              image,
              args: ["serve"],
              ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/readyz", port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns.name, body: deployment });
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace: ns.name,
    body: {
      metadata: { name: `${name}-predictor`, labels },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    },
  });
}

function post(name: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${act.url}/infer`,
      { method: "POST", headers: { "liftoff-modeldeployment": `${ns.name}/${name}` }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}

beforeAll(async () => {
  kc = kubeConfig(inject("kubeconfig"));
  ns = await testNamespace(kc, "activator");
  act = await startActivator({
    // Every address: the API server's service proxy reaches it on the pod gateway (a local address here).
    host: "0.0.0.0",
    port: 0,
    namespaces: [ns.name],
    client: new KubeClient(kc, { fieldManager: "liftoff-activator", patchFieldManager: true }),
    registry: new Registry(),
    log: pino({ level: process.env.LIFTOFF_TEST_LOG ?? "silent" }),
    modelDeployments: mdeps,
  });
});
afterAll(async () => {
  await act?.close();
  await ns?.delete();
});

describe("activator on the local cluster", () => {
  it("holds the first request, scales the Deployment from 0 to 1, and forwards it to the new pod", async () => {
    await track("cold", TESTBOX);
    mdeps.set(mdep("cold", 120));
    const started = Date.now();
    const replies = await Promise.all([post("cold"), post("cold")]);
    for (const r of replies) {
      expect(r.status, r.body).toBe(200);
      expect(JSON.parse(r.body).hostname).toMatch(/^cold-predictor-/);
    }
    const scale = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeploymentScale({ name: "cold-predictor", namespace: ns.name });
    expect(scale.spec?.replicas).toBe(1);
    console.error(`activator: first request answered after ${Date.now() - started} ms (pod start included)`);
    // Warm now: answered at once.
    expect((await post("cold")).status).toBe(200);
  }, 150_000);

  it("fails held requests within the activation timeout, naming the pod's waiting reason", async () => {
    await track("never", "registry.invalid/no-such-image:1");
    mdeps.set(mdep("never", 8));
    const r = await post("never");
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBeDefined();
    const body = JSON.parse(r.body);
    expect(body.code).toBe("LIFTOFF_ERR_ACTIVATION_TIMEOUT");
    expect(body.error).toMatch(/^ModelDeployment activator-[a-z0-9]+\/never did not activate: no ready pod within 8s/);
    console.error(`activator: timeout message: ${body.error}`);
  }, 60_000);

  // What kube-proxy (or test/support/balancer.ts) does with the public Service of a scale-to-zero deployment: the
  // operator writes its Endpoints (the activator's address), the mirroring controller makes the EndpointSlice, a
  // client connects there with the Service's DNS name as Host. (The API server's service proxy is no way in: it only
  // proxies to addresses that are a pod of the Service's namespace, see docs/autoscaling.md.)
  it("serves a request sent to the public Service's mirrored EndpointSlice with the Service's DNS name as Host", async () => {
    await track("proxied", TESTBOX);
    mdeps.set(mdep("proxied", 120));
    const core = kc.makeApiClient(CoreV1Api);
    const labels = { "liftoff.dev/modeldeployment": "proxied" };
    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: "proxied", labels }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    });
    const gateway = clusterConfig(inject("clusterName")).podGateway;
    await core.createNamespacedEndpoints({
      namespace: ns.name,
      body: {
        metadata: { name: "proxied", labels },
        subsets: [{ addresses: [{ ip: gateway }], ports: [{ name: "http", port: act.address.port }] }],
      },
    });
    const endpoint = await pollUntil(
      "the mirrored EndpointSlice of Service proxied",
      async () => {
        const { items } = await kc
          .makeApiClient(DiscoveryV1Api)
          .listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: "kubernetes.io/service-name=proxied" });
        const s = items.find((x) => (x.endpoints ?? []).length > 0);
        const ip = s?.endpoints[0]?.addresses[0];
        const port = s?.ports?.find((p) => p.name === "http")?.port;
        return ip && port ? { ip, port } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(endpoint).toEqual({ ip: gateway, port: act.address.port });
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: endpoint.ip,
          port: endpoint.port,
          path: "/v2/health/ready",
          headers: { host: `proxied.${ns.name}.svc` },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body).hostname).toMatch(/^proxied-predictor-/);
  }, 150_000);
});
