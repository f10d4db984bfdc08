// The operator against the real control plane (API server, controller manager with its garbage collector,
// scheduler, node agent), running under its own least-privilege ClusterRole.
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { kubeRequest } from "../../operator/src/kube/request.js";
import { kubeConfig, kubectl, type Obj, testNamespace } from "../support/kube.js";
import {
  createModelDeployment,
  forbiddenRequests,
  getModelDeployment,
  operatorFixture,
  reconcileCount,
  settled,
  startTestOperator,
  totalWrites,
} from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "operator");
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const custom = admin.makeApiClient(CustomObjectsApi);
const GROUP = { group: "liftoff.dev", version: "v1alpha1" };

function mdep(name: string, spec: Obj): Obj {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name, namespace: fx.ns.name },
    spec,
  };
}

async function create(obj: Obj): Promise<Obj> {
  const plural = obj.kind === "ModelDeployment" ? "modeldeployments" : "trainingjobs";
  return (await custom.createNamespacedCustomObject({ ...GROUP, namespace: fx.ns.name, plural, body: obj })) as Obj;
}

async function readMdep(name: string): Promise<Obj> {
  return (await custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: fx.ns.name,
    plural: "modeldeployments",
    name,
  })) as Obj;
}

/** A PATCH as admin; client-node 1.4's typed patch methods send the wrong Content-Type (kubernetes-client/javascript#1398). */
function patch(path: string, body: unknown, type: "merge" | "json" | "strategic"): Promise<unknown> {
  const contentType = {
    merge: "application/merge-patch+json",
    json: "application/json-patch+json",
    strategic: "application/strategic-merge-patch+json",
  }[type];
  return kubeRequest(admin, { method: "PATCH", path, body, contentType });
}
const mdepPath = (name: string, sub = "") =>
  `/apis/liftoff.dev/v1alpha1/namespaces/${fx.ns.name}/modeldeployments/${name}${sub}`;

function condition(obj: Obj, type: string): Obj | undefined {
  return obj.status?.conditions?.find((c: Obj) => c.type === type);
}

async function waitCondition(
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 30_000,
): Promise<Obj> {
  return pollUntil(
    `${name} ${type}=${status}${reason ? ` (${reason})` : ""}`,
    async () => {
      const m = await readMdep(name);
      const c = condition(m, type);
      return c?.status === status &&
        (!reason || c.reason === reason) &&
        m.status?.observedGeneration === m.metadata.generation
        ? m
        : undefined;
    },
    { timeoutMs },
  );
}

async function deploymentOf(name: string) {
  return apps.readNamespacedDeployment({ name, namespace: fx.ns.name });
}

describe("ModelDeployment reconciler", () => {
  it("creates the ServiceAccount, Deployment and Service, owned by the ModelDeployment", async () => {
    await create(mdep("basic", { model: { uri: "pvc://models/iris/model.json" }, replicas: 1 }));
    const dep = await pollUntil("Deployment basic-predictor", () =>
      deploymentOf("basic-predictor").catch(() => undefined),
    );
    const owner = dep.metadata?.ownerReferences?.[0];
    expect(owner).toMatchObject({ kind: "ModelDeployment", name: "basic", controller: true, blockOwnerDeletion: true });
    const pod = dep.spec?.template.spec;
    const c = pod?.containers[0];
    expect(c?.args).toEqual(["serve"]);
    expect(c?.env?.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value).toBe("pvc://models/iris/model.json");
    expect(c?.env?.find((e) => e.name === "POD_IP")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
    expect(c?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c?.readinessProbe?.httpGet?.path).toBe("/v2/health/ready");
    expect(pod?.volumes?.find((v) => v.name === "model")?.persistentVolumeClaim?.claimName).toBe("models");
    // The children are applied one after another: the Service and ServiceAccount may trail the Deployment.
    const svc = await pollUntil("Service basic", () =>
      core.readNamespacedService({ name: "basic", namespace: fx.ns.name }).catch(() => undefined),
    );
    expect(svc.spec?.selector).toEqual({ "liftoff.dev/modeldeployment": "basic", "liftoff.dev/track": "stable" });
    const sa = await pollUntil("ServiceAccount basic-runtime", () =>
      core.readNamespacedServiceAccount({ name: "basic-runtime", namespace: fx.ns.name }).catch(() => undefined),
    );
    expect(sa.metadata?.ownerReferences?.[0]?.uid).toBe(owner?.uid);
    const m = await pollUntil("status written", async () => {
      const live = await readMdep("basic");
      return live.status?.observedGeneration === live.metadata.generation ? live : undefined;
    });
    expect(m.status.url).toBe(`http://basic.${fx.ns.name}.svc.cluster.local`);
    expect(m.status.selector).toBe("liftoff.dev/modeldeployment=basic,liftoff.dev/track=stable");
    expect(condition(m, "Ready")).toBeDefined();
  });

  it("makes zero writes when a reconcile finds nothing to change", async () => {
    // Its own namespace and operator, so writes for other tests' objects cannot be counted here.
    const quiet = await testNamespace(admin, "operator-quiet");
    const solo = await startTestOperator(fx.operatorKc, [quiet.name], ["--leader-elect=false"]);
    try {
      await solo.leading;
      await createModelDeployment(admin, quiet.name, "idle", {
        model: { uri: "https://models.example.com/iris/model.json" },
        replicas: 0,
      });
      const path = `/apis/liftoff.dev/v1alpha1/namespaces/${quiet.name}/modeldeployments/idle`;
      await pollUntil("idle Ready", async () => {
        const m = (await kubeRequest(admin, { method: "GET", path })) as Obj;
        return condition(m, "Ready")?.reason === "ScaledToZero";
      });
      await settled(solo);
      const writesAtRest = totalWrites(solo);
      const before = await reconcileCount(solo);
      await patch(path, { metadata: { annotations: { touched: "1" } } }, "merge");
      await pollUntil("a reconcile after the touch", async () => (await reconcileCount(solo)) > before);
      expect(totalWrites(solo)).toBeGreaterThan(0); // it did write while converging: the counter works
      expect(totalWrites(solo) - writesAtRest).toBe(0);
    } finally {
      await solo.stop();
      await quiet.delete();
    }
  });

  it("restores a Deployment that someone edited", async () => {
    await create(mdep("drift", { model: { uri: "https://models.example.com/iris/model.json" }, replicas: 0 }));
    await pollUntil("Deployment drift-predictor", () => deploymentOf("drift-predictor").catch(() => undefined));
    await patch(
      `/apis/apps/v1/namespaces/${fx.ns.name}/deployments/drift-predictor`,
      { spec: { template: { spec: { containers: [{ name: "runtime", image: "evil/image:latest" }] } } } },
      "strategic",
    );
    const restored = await pollUntil("image restored", async () => {
      const d = await deploymentOf("drift-predictor");
      return d.spec?.template.spec?.containers[0]?.image === fx.op.config.runtimeImage ? d : undefined;
    });
    expect(restored.spec?.template.spec?.containers).toHaveLength(1);
  });

  it("garbage-collects the children when the ModelDeployment is deleted", async () => {
    await create(mdep("doomed", { model: { uri: "https://models.example.com/iris/model.json" }, replicas: 0 }));
    await pollUntil("Deployment doomed-predictor", () => deploymentOf("doomed-predictor").catch(() => undefined));
    await custom.deleteNamespacedCustomObject({
      ...GROUP,
      namespace: fx.ns.name,
      plural: "modeldeployments",
      name: "doomed",
    });
    await pollUntil(
      "children gone",
      async () => {
        const dep = await deploymentOf("doomed-predictor").then(
          () => true,
          () => false,
        );
        const svc = await core.readNamespacedService({ name: "doomed", namespace: fx.ns.name }).then(
          () => true,
          () => false,
        );
        return !dep && !svc;
      },
      { timeoutMs: 60_000 },
    );
  });

  it("waits with ModelNotReady for a missing TrainingJob, then for one that has not succeeded", async () => {
    await create(mdep("from-job", { model: { trainingJobRef: { name: "iris-train" } }, replicas: 0 }));
    const waiting = await waitCondition("from-job", "Ready", "False", "ModelNotReady");
    expect(condition(waiting, "Ready")?.message).toBe(
      "TrainingJob iris-train not found; create it or fix model.trainingJobRef",
    );
    expect(condition(waiting, "Reconciling")?.status).toBe("True");
    await expect(deploymentOf("from-job-predictor")).rejects.toThrow();
    const events = await core.listNamespacedEvent({
      namespace: fx.ns.name,
      fieldSelector: "involvedObject.name=from-job",
    });
    expect(events.items.map((e) => e.reason)).toContain("ModelNotReady");

    const tj = await create({
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "TrainingJob",
      metadata: { name: "iris-train", namespace: fx.ns.name },
      spec: {
        dataSetRef: { name: "iris" },
        task: "multiclass",
        model: { layers: [{ type: "dense", units: 8, activation: "relu" }] },
        hyperparameters: { epochs: 1 },
      },
    });
    // The TrainingJob controller holds the job with DataSetNotReady (no DataSet "iris"), so the ModelDeployment keeps
    // waiting; serving the model once the job succeeds runs for real in trainingjob-e2e.test.ts.
    const pending = await pollUntil(
      "from-job waits for the pending TrainingJob",
      async () => {
        const m = await readMdep("from-job");
        return condition(m, "Ready")?.message?.includes("has not succeeded yet (phase Pending)") ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(condition(pending, "Ready")?.reason).toBe("ModelNotReady");
    const job = (await custom.getNamespacedCustomObject({
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: fx.ns.name,
      plural: "trainingjobs",
      name: tj.metadata.name,
    })) as Obj;
    expect(condition(job, "Ready")).toMatchObject({ status: "False", reason: "DataSetNotReady" });
    await expect(deploymentOf("from-job-predictor")).rejects.toThrow();
  });

  it("reports InsufficientGPU as Stalled when no node offers that many GPUs", async () => {
    await create(
      mdep("greedy", { model: { uri: "https://models.example.com/m/model.json" }, replicas: 1, resources: { gpu: 8 } }),
    );
    const m = await waitCondition("greedy", "Stalled", "True", "InsufficientGPU");
    expect(condition(m, "Ready")?.message).toMatch(/requests 8 nvidia\.com\/gpu but the largest node offers \d+/);
  });

  it("runs a canary by replica ratio, then removes it on promotion", async () => {
    const stableUri = "https://models.example.com/v1/model.json";
    const canaryUri = "https://models.example.com/v2/model.json";
    await create(
      mdep("canary", {
        model: { uri: stableUri },
        replicas: 3,
        canary: { model: { uri: canaryUri }, trafficPercent: 25 },
      }),
    );
    const canaryDep = await pollUntil("canary Deployment", () => deploymentOf("canary-canary").catch(() => undefined));
    expect(canaryDep.spec?.replicas).toBe(1);
    expect(canaryDep.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value).toBe(
      canaryUri,
    );
    const svc = await pollUntil("shared Service", () =>
      core.readNamespacedService({ name: "canary", namespace: fx.ns.name }).catch(() => undefined),
    );
    expect(svc.spec?.selector).toEqual({ "liftoff.dev/modeldeployment": "canary" });
    const withCanary = await pollUntil("canary status", async () => {
      const m = await readMdep("canary");
      return m.status?.canary ? m : undefined;
    });
    expect(withCanary.status.canary).toMatchObject({
      uri: canaryUri,
      trafficPercent: 25,
      trafficSplit: "ReplicaRatio",
    });
    await patch(
      mdepPath("canary"),
      [
        { op: "replace", path: "/spec/model/uri", value: canaryUri },
        { op: "remove", path: "/spec/canary" },
      ],
      "json",
    );
    await pollUntil("canary Deployment removed", async () =>
      deploymentOf("canary-canary").then(
        () => false,
        () => true,
      ),
    );
    const stable = await deploymentOf("canary-predictor");
    expect(stable.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value).toBe(
      canaryUri,
    );
  });

  it("hands replicas to a HorizontalPodAutoscaler and adds a PodDisruptionBudget (with metrics.k8s.io)", async () => {
    await create(
      mdep("auto", {
        model: { uri: "https://models.example.com/m/model.json" },
        autoscaling: { minReplicas: 2, maxReplicas: 5, metric: "cpu", target: 70 },
      }),
    );
    // metric cpu needs metrics.k8s.io (metrics-server, started by cluster:up); where it does not answer, the operator
    // makes no HPA and says what is missing instead.
    const metricsApi = (await kubeRequest(admin, {
      method: "GET",
      path: "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io",
    }).catch(() => undefined)) as Obj | undefined;
    const served = metricsApi?.status?.conditions?.some((c: Obj) => c.type === "Available" && c.status === "True");
    if (!served) {
      const ready = await pollUntil("AutoscalingMetricsUnavailable", async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "auto");
        const c = m.status?.conditions?.find((x: Obj) => x.type === "Ready");
        return c?.reason === "AutoscalingMetricsUnavailable" ? c : undefined;
      });
      expect(ready.status).toBe("False");
      expect(ready.message).toContain("metrics-server");
      return;
    }
    const hpa = await pollUntil("HPA", async () => {
      const { AutoscalingV2Api } = await import("@kubernetes/client-node");
      return admin
        .makeApiClient(AutoscalingV2Api)
        .readNamespacedHorizontalPodAutoscaler({ name: "auto", namespace: fx.ns.name })
        .catch(() => undefined);
    });
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 5,
      scaleTargetRef: { kind: "Deployment", name: "auto-predictor" },
    });
    expect(hpa.spec?.metrics?.[0]?.resource?.target.averageUtilization).toBe(70);
    const dep = await deploymentOf("auto-predictor");
    const owners = (dep.metadata?.managedFields ?? []).filter((f) => f.manager === "liftoff-operator");
    expect(JSON.stringify(owners.map((f) => f.fieldsV1))).not.toContain('"f:replicas"');
    const { PolicyV1Api } = await import("@kubernetes/client-node");
    const pdb = await admin
      .makeApiClient(PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ name: "auto", namespace: fx.ns.name });
    expect(pdb.spec?.maxUnavailable).toBe(1);
  });

  it("follows kubectl scale through the scale subresource", async () => {
    await create(mdep("scaled", { model: { uri: "https://models.example.com/m/model.json" }, replicas: 0 }));
    await pollUntil("Deployment scaled-predictor", () => deploymentOf("scaled-predictor").catch(() => undefined));
    await kubectl(inject("kubectl"), inject("kubeconfig"), ["scale", "-n", fx.ns.name, "mdep/scaled", "--replicas=2"]);
    await pollUntil(
      "Deployment at 2 replicas",
      async () => (await deploymentOf("scaled-predictor")).spec?.replicas === 2,
    );
  });

  it("made no call that its ClusterRole forbids", async () => {
    expect(await forbiddenRequests(fx.op)).toEqual([]);
  });
});
