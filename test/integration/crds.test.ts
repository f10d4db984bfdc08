// The generated CRDs on a real API server: established, samples accepted with defaults, explain and printer columns.
import { ApiextensionsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ALL_KINDS, GROUP } from "../../operator/src/api/v1alpha1/index.js";
import { kubeConfig, kubectl, objectApi, testNamespace } from "../support/kube.js";
import { KINDS, type Manifest, sample } from "../support/samples.js";

const kc = kubeConfig(inject("kubeconfig"));
const run = (args: string[]) => kubectl(inject("kubectl"), inject("kubeconfig"), args);
let ns: Awaited<ReturnType<typeof testNamespace>>;

beforeAll(async () => {
  ns = await testNamespace(kc, "crds");
});
afterAll(async () => {
  await ns.delete();
});

describe("CustomResourceDefinitions", () => {
  it.each(ALL_KINDS.map((k) => k.plural))("%s is Established with its names accepted", async (plural) => {
    const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: `${plural}.${GROUP}` });
    const status = (type: string) => crd.status?.conditions?.find((c) => c.type === type)?.status;
    expect(status("Established")).toBe("True");
    expect(status("NamesAccepted")).toBe("True");
    expect(crd.status?.acceptedNames?.categories).toEqual(["liftoff"]);
  });

  it("accepts the three samples and applies the schema defaults", async () => {
    const api = objectApi(kc);
    const read: Record<string, Manifest> = {};
    for (const kind of KINDS) {
      await api.create(sample(kind, ns.name));
      const s = sample(kind, ns.name);
      read[kind] = (await api.read({ apiVersion: s.apiVersion, kind, metadata: s.metadata })) as Manifest;
    }
    const mdep = read.ModelDeployment?.spec;
    expect(mdep.model.format).toBe("tfjs-layers");
    expect(mdep.monitoring.drift.threshold).toBe(0.2);
    expect(mdep.resources.gpu).toBe(1);
    const tj = read.TrainingJob?.spec;
    expect(tj.runPolicy.suspend).toBe(false);
    expect(tj.hyperparameters.earlyStopping.minDelta).toBe(0);
    const dset = read.DataSet?.spec;
    expect(dset.encryption.vaultRole).toBe("liftoff-dataset");
    expect(dset.schema.columns.find((c: { name: string }) => c.name === "plan").pii).toBe(false);
  });

  it("kubectl explain modeldeployment.spec prints the field descriptions", async () => {
    const out = await run(["explain", "modeldeployment.spec"]);
    expect(out).toContain("Desired state of a ModelDeployment.");
    expect(out).toMatch(/autoscaling\s+<Object>\s+Scale replicas with load: KEDA.s ScaledObject/);
    expect(out).toMatch(
      /model\s+<Object> -required-\s+The model to serve: exactly one of trainingJobRef,\s+trainingSearchRef\s+or uri\./,
    );
    const nested = await run(["explain", "modeldeployment.spec.canary.trafficPercent"]);
    expect(nested).toContain("Percent of requests sent to the canary model (0 to 100).");
  });

  it("kubectl get liftoff lists the kinds with their printer columns", async () => {
    const out = await run(["get", "liftoff", "-n", ns.name]);
    expect(out).toMatch(/NAME\s+READY\s+ROWS\s+VERSION\s+AGE\n.*dataset\.liftoff\.dev\/churn\s/);
    expect(out).toMatch(/NAME\s+STATUS\s+PROGRESS\s+LOSS\s+ETA\s+AGE\n.*trainingjob\.liftoff\.dev\/churn-mlp\s/);
    expect(out).toMatch(
      /NAME\s+READY\s+REPLICAS\s+SCALE\s+MODEL\s+FORMAT\s+URL\s+DRIFT\s+ACCURACY\s+TOKENS\/S\s+LOOP\s+AGE\n.*modeldeployment\.liftoff\.dev\/churn\s/,
    );
    expect(out).toMatch(
      /NAME\s+STATUS\s+RUNNING\s+STOPPED\s+DONE\s+FAILED\s+METRIC\s+BEST\s+BEST TRIAL\s+AGE\n.*trainingsearch\.liftoff\.dev\/churn-search\s/,
    );
    const short = await run(["get", "dset,tj,mdep,tsearch", "-n", ns.name, "-o", "name"]);
    expect(short.trim().split("\n").sort()).toEqual([
      "dataset.liftoff.dev/churn",
      "modeldeployment.liftoff.dev/churn",
      "trainingjob.liftoff.dev/churn-mlp",
      "trainingsearch.liftoff.dev/churn-search",
    ]);
  });

  it("kubectl scale works through the ModelDeployment scale subresource", async () => {
    const api = objectApi(kc);
    const m = sample("ModelDeployment", ns.name, "scalable");
    delete m.spec.autoscaling;
    m.spec.replicas = 1;
    await api.create(m);
    await run(["scale", "-n", ns.name, "mdep/scalable", "--replicas=3"]);
    const live = (await api.read({ apiVersion: m.apiVersion, kind: m.kind, metadata: m.metadata })) as Manifest;
    expect(live.spec.replicas).toBe(3);
  });
});
