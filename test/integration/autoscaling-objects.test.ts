// What the operator writes for spec.autoscaling on a real API server, with KEDA's own ScaledObject CRD (installed by
// `npm run cluster:up`): the ScaledObject is accepted by KEDA's schema, and scale to zero switches the public Service
// to the activator (no selector, Endpoints at the advertised address) and back, leaving no stale EndpointSlice.
// The scaling itself under load is test/integration/autoscaling.test.ts.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { installCrds, type looseCrd } from "../support/crds.js";
import { kubeConfig, type Obj, readYamlFile } from "../support/kube.js";
import { createModelDeployment, forbiddenRequests, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const custom = admin.makeApiClient(CustomObjectsApi);
const core = admin.makeApiClient(CoreV1Api);
const discovery = admin.makeApiClient(DiscoveryV1Api);
/** Any address the API server accepts in Endpoints (not loopback): nothing connects to it here. */
const ADVERTISED = "10.255.0.9";

/** KEDA's CRD as cluster:up installs it; LIFTOFF_KEDA_CRD (a path to keda.sh_scaledobjects.yaml) installs it here. */
async function requireKedaCrd(): Promise<void> {
  const read = () =>
    admin
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: "scaledobjects.keda.sh" })
      .catch(() => undefined);
  const file = process.env.LIFTOFF_KEDA_CRD;
  if (!(await read()) && file) {
    const [crd] = readYamlFile<Obj>(file);
    await installCrds(admin, [crd as ReturnType<typeof looseCrd>]);
  }
  if (!(await read())) throw new Error("KEDA's ScaledObject CRD is not installed: npm run cluster:up installs it");
}

const fx = operatorFixture(admin, "autoscale-objects", {
  flags: ["--leader-elect=false", "--activator-bind-address=127.0.0.1:0", `--activator-advertise=${ADVERTISED}:8012`],
  setup: requireKedaCrd,
});

async function setMinReplicas(name: string, minReplicas: number): Promise<void> {
  await custom.patchNamespacedCustomObject(
    {
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: fx.ns.name,
      plural: "modeldeployments",
      name,
      // scaleToZero goes with minReplicas 0 only (CEL): null removes it in a merge patch.
      body: { spec: { autoscaling: { minReplicas, scaleToZero: minReplicas === 0 ? { idleSeconds: 60 } : null } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

const readSO = (name: string) =>
  custom
    .getNamespacedCustomObject({
      group: "keda.sh",
      version: "v1alpha1",
      plural: "scaledobjects",
      namespace: fx.ns.name,
      name,
    })
    .then((o) => o as Obj)
    .catch(() => undefined);
const readService = (name: string) =>
  core.readNamespacedService({ name, namespace: fx.ns.name }).catch(() => undefined);
const readEndpoints = (name: string) =>
  core.readNamespacedEndpoints({ name, namespace: fx.ns.name }).catch(() => undefined);
const slicesOf = async (service: string) =>
  (
    await discovery.listNamespacedEndpointSlice({
      namespace: fx.ns.name,
      labelSelector: `kubernetes.io/service-name=${service}`,
    })
  ).items;

describe("autoscaling objects", () => {
  it("detects KEDA at start", () => {
    expect(fx.op.capabilities.keda).toBe(true);
  });

  it("scale to zero: a ScaledObject KEDA's schema accepts, the Service at the activator, and back", async () => {
    await createModelDeployment(admin, fx.ns.name, "zero", {
      model: { uri: "https://models.example.com/v1/model.json" },
      autoscaling: { minReplicas: 0, maxReplicas: 3, target: 4, scaleToZero: { idleSeconds: 60 } },
    });
    const so = (await pollUntil("ScaledObject zero-predictor", () => readSO("zero-predictor"))) as Obj;
    expect(so.spec).toMatchObject({
      scaleTargetRef: { name: "zero-predictor" },
      minReplicaCount: 0,
      maxReplicaCount: 3,
      cooldownPeriod: 60,
      triggers: [
        { type: "prometheus", metricType: "AverageValue", metadata: { threshold: "4", activationThreshold: "0" } },
      ],
    });
    const svc = await pollUntil("selector-less Service zero", async () => {
      const s = await readService("zero");
      return s && !s.spec?.selector ? s : undefined;
    });
    expect(svc.metadata?.annotations?.["liftoff.dev/activator"]).toBe("true");
    const ep = await pollUntil("Endpoints zero at the activator", () => readEndpoints("zero"));
    expect(ep.subsets).toEqual([
      { addresses: [{ ip: ADVERTISED }], ports: [{ name: "http", port: 8012, protocol: "TCP" }] },
    ]);
    expect((await readService("zero-predictor"))?.spec?.selector).toEqual({
      "liftoff.dev/modeldeployment": "zero",
      "liftoff.dev/track": "stable",
    });
    // The mirroring controller makes the EndpointSlice kube-proxy reads from the operator's Endpoints.
    await pollUntil("mirrored EndpointSlice of zero", async () =>
      (await slicesOf("zero")).some((s) => s.endpoints?.some((e) => e.addresses.includes(ADVERTISED))),
    );

    // minReplicas 1: the Service selects the pods again, the activator's Endpoints go, the track Service too.
    await setMinReplicas("zero", 1);
    await pollUntil("Service zero selecting the stable pods", async () => (await readService("zero"))?.spec?.selector);
    await pollUntil("the operator's Endpoints gone", async () => {
      const e = await readEndpoints("zero");
      return !e?.metadata?.ownerReferences?.some((r) => r.kind === "ModelDeployment");
    });
    await pollUntil("track Service gone", async () => (await readService("zero-predictor")) === undefined);
    expect((await readSO("zero-predictor"))?.spec.minReplicaCount).toBe(1);
    await pollUntil("EndpointSlice controller's slice of zero", async () =>
      (await slicesOf("zero")).some(
        (s) => s.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io",
      ),
    );

    // Back to 0 on a running Service: the controller's slice (which it stops updating) is deleted.
    await setMinReplicas("zero", 0);
    await pollUntil("only the mirrored slice left", async () => {
      const slices = await slicesOf("zero");
      return (
        slices.length > 0 &&
        slices.every(
          (s) =>
            s.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"] ===
            "endpointslicemirroring-controller.k8s.io",
        )
      );
    });
    expect(await forbiddenRequests(fx.op)).toEqual([]);
  });
});
