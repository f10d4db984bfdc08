// Optional integrations detected at start: with the ServiceMonitor and Gateway API CRDs installed, a canary gets
// an HTTPRoute with exact weights and the pods a ServiceMonitor instead of scrape annotations.
import { AppsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { installCrds, looseCrd, removeCrds } from "../support/crds.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, forbiddenRequests, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const custom = admin.makeApiClient(CustomObjectsApi);
const apps = admin.makeApiClient(AppsV1Api);

const CRDS = [
  looseCrd("monitoring.coreos.com", "ServiceMonitor", "servicemonitors"),
  looseCrd("gateway.networking.k8s.io", "HTTPRoute", "httproutes"),
];
async function installIntegrationCrds(): Promise<void> {
  await installCrds(admin, CRDS);
}
// The CRDs go in before the operator starts: it detects optional integrations at start.
const fx = operatorFixture(admin, "integrations", { flags: ["--leader-elect=false"], setup: installIntegrationCrds });

afterAll(async () => {
  // Other test files start operators that must see a cluster without these integrations.
  await removeCrds(admin, CRDS);
});

describe("optional integrations", () => {
  it("detects the ServiceMonitor and Gateway API CRDs at start", () => {
    // The PrometheusRule CRD is not installed here (test/integration/monitoring.test.ts installs it).
    expect(fx.op.capabilities).toMatchObject({ serviceMonitor: true, gatewayAPI: true, prometheusRule: false });
  });

  it("splits canary traffic exactly with an HTTPRoute and scrapes through a ServiceMonitor", async () => {
    await createModelDeployment(admin, fx.ns.name, "routed", {
      model: { uri: "https://models.example.com/v1/model.json" },
      replicas: 2,
      canary: { model: { uri: "https://models.example.com/v2/model.json" }, trafficPercent: 10 },
      gateway: { parentRef: { name: "public", namespace: "gateways" }, hostnames: ["models.example.com"] },
    });
    const gvr = { namespace: fx.ns.name, name: "routed" };
    const route = (await pollUntil("HTTPRoute", () =>
      custom
        .getNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", ...gvr })
        .catch(() => undefined),
    )) as Obj;
    expect(route.spec.parentRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" },
    ]);
    expect(route.spec.rules[0].backendRefs).toEqual([
      { name: "routed-predictor", port: 80, weight: 90 },
      { name: "routed-canary", port: 80, weight: 10 },
    ]);
    const monitor = (await pollUntil("ServiceMonitor", () =>
      custom
        .getNamespacedCustomObject({ group: "monitoring.coreos.com", version: "v1", plural: "servicemonitors", ...gvr })
        .catch(() => undefined),
    )) as Obj;
    expect(monitor.spec.endpoints).toEqual([{ port: "http", path: "/metrics", interval: "15s" }]);
    const dep = await apps.readNamespacedDeployment({ name: "routed-predictor", namespace: fx.ns.name });
    expect(dep.spec?.template.metadata?.annotations?.["prometheus.io/scrape"]).toBeUndefined();
    const m = (await pollUntil("canary status", async () => {
      const live = (await custom.getNamespacedCustomObject({
        group: "liftoff.dev",
        version: "v1alpha1",
        plural: "modeldeployments",
        ...gvr,
      })) as Obj;
      return live.status?.canary ? live : undefined;
    })) as Obj;
    expect(m.status.canary.trafficSplit).toBe("HTTPRoute");
    expect(await forbiddenRequests(fx.op)).toEqual([]);
  });
});
