import pino from "pino";
import { describe, expect, it } from "vitest";
import type {
  DataSet,
  ModelDeployment,
  ModelDeploymentSpec,
  TrainingJob,
  TrainingSearch,
} from "../api/v1alpha1/index.js";
import type { Capabilities } from "../capabilities.js";
import type { OperatorConfig } from "../config.js";
import { Controller, type Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { KubeClient } from "../kube/client.js";
import type { Node, Pod } from "../kube/models.js";
import type { ResourceType } from "../kube/resources.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import type { CacheOptions, Manager, Runnable } from "../manager.js";
import { ReportRouter } from "../report/router.js";
import { setupModelDeployment } from "./setup.js";

/** A manager whose caches are fakes, recording what setup asked for. */
function fakeManager(capabilities: Capabilities = { serviceMonitor: false, gatewayAPI: false }) {
  const caches = new Map<ResourceType, FakeCache>();
  const selectors = new Map<string, string | undefined>();
  const log = pino({ level: "silent" });
  let controller: Controller | undefined;
  const runnables: Runnable[] = [];
  const mgr: Manager = {
    client: {} as KubeClient,
    config: { runtimeImage: "registry.local/runtime:1", concurrency: 1 } as OperatorConfig,
    capabilities,
    events: {} as EventRecorder,
    log,
    reports: { router: new ReportRouter() },
    cache<T extends KubeObject>(r: ResourceType<T>, opts: CacheOptions = {}) {
      selectors.set(r.plural, opts.labelSelector);
      const c = caches.get(r) ?? (new FakeCache(r) as unknown as FakeCache);
      caches.set(r, c);
      return c as unknown as FakeCache<T>;
    },
    controller(reconciler: Reconciler, primary) {
      controller = new Controller(reconciler, primary, { concurrency: 1, log });
      return controller;
    },
    runnable(r) {
      runnables.push(r);
    },
  };
  const cache = <T extends KubeObject>(r: ResourceType<T>) => caches.get(r) as unknown as FakeCache<T>;
  return {
    mgr,
    cache,
    selectors,
    runnables,
    queued: () => controller?.queue.length ?? 0,
    queue: () => controller?.queue,
  };
}

const mdep = (name: string, spec: Partial<ModelDeploymentSpec> = {}): ModelDeployment => ({
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "ModelDeployment",
  metadata: { name, namespace: "ml", uid: `uid-${name}` },
  spec: { model: { uri: "https://models.example.com/m/model.json", format: "tfjs-layers" }, ...spec },
});

const gpuNode = (gpus: string, heartbeat: string): Node => ({
  metadata: { name: "gpu-1" },
  status: {
    allocatable: { "nvidia.com/gpu": gpus },
    conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: heartbeat }],
  },
});

const AUTO = { minReplicas: 1, maxReplicas: 4, metric: "concurrency", target: 10, windowSeconds: 30 } as const;

async function drain(f: ReturnType<typeof fakeManager>): Promise<string[]> {
  const keys: string[] = [];
  const q = f.queue();
  while (q && q.length > 0) {
    const k = await q.get();
    if (k) {
      keys.push(k);
      q.done(k);
    }
  }
  return keys.sort();
}

/** A set-up ModelDeployment controller whose cache holds `mdeps`, with the keys their creation queued drained. */
async function withModelDeployments(mdeps: ModelDeployment[]) {
  const f = fakeManager();
  setupModelDeployment(f.mgr);
  for (const m of mdeps) f.cache(RESOURCES.ModelDeployment).set(m);
  await drain(f);
  return f;
}

describe("setupModelDeployment", () => {
  it("caches the kinds it reads and only the children Liftoff manages", () => {
    const f = fakeManager({ serviceMonitor: true, gatewayAPI: false });
    setupModelDeployment(f.mgr);
    expect(f.selectors.get("modeldeployments")).toBeUndefined();
    expect(f.selectors.get("deployments")).toBe("app.kubernetes.io/managed-by=liftoff");
    expect(f.selectors.get("servicemonitors")).toBe("app.kubernetes.io/managed-by=liftoff");
    expect(f.selectors.has("httproutes")).toBe(false);
    expect(f.selectors.get("pods")).toBe("liftoff.dev/modeldeployment");
  });

  it("requeues the owner of a changed child, and the ModelDeployment a pod is labelled with", async () => {
    const f = fakeManager();
    setupModelDeployment(f.mgr);
    f.cache(RESOURCES.Deployment).set({
      metadata: {
        name: "a-predictor",
        namespace: "ml",
        ownerReferences: [
          { apiVersion: "liftoff.dev/v1alpha1", kind: "ModelDeployment", name: "a", uid: "u", controller: true },
        ],
      },
    });
    const pod: Pod = {
      metadata: { name: "b-predictor-x", namespace: "ml", labels: { "liftoff.dev/modeldeployment": "b" } },
    };
    f.cache(RESOURCES.Pod).set(pod);
    expect(await drain(f)).toEqual(["ml/a", "ml/b"]);
  });

  it("requeues the ModelDeployments that serve a TrainingJob's model", async () => {
    const fromJob = { trainingJobRef: { name: "tj" }, format: "tfjs-layers" } as const;
    const f = await withModelDeployments([
      mdep("uses", { model: fromJob }),
      mdep("canary", { canary: { model: fromJob, trafficPercent: 10 } }),
      mdep("other"),
    ]);
    const tj = { metadata: { name: "tj", namespace: "ml" }, spec: {} } as TrainingJob;
    f.cache(RESOURCES.TrainingJob).set(tj);
    expect(await drain(f)).toEqual(["ml/canary", "ml/uses"]);
  });

  it("requeues the ModelDeployments that serve a TrainingSearch when it or one of its trials changes", async () => {
    const fromSearch = { trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" } as const;
    const f = await withModelDeployments([
      mdep("uses", { model: fromSearch }),
      mdep("canary", { canary: { model: fromSearch, trafficPercent: 10 } }),
      mdep("other", { model: { trainingSearchRef: { name: "another" }, format: "tfjs-layers" } }),
    ]);
    const search = { metadata: { name: "digits-search", namespace: "ml" }, spec: {} } as unknown as TrainingSearch;
    f.cache(RESOURCES.TrainingSearch).set(search);
    expect(await drain(f)).toEqual(["ml/canary", "ml/uses"]);
    // Its trials (labelled with the search) too: the best one is the TrainingJob served.
    f.cache(RESOURCES.TrainingJob).set({
      metadata: { name: "digits-search-3", namespace: "ml", labels: { "liftoff.dev/trainingsearch": "digits-search" } },
      spec: {},
    } as unknown as TrainingJob);
    expect(await drain(f)).toEqual(["ml/canary", "ml/uses"]);
    // The same search name in another namespace: nothing.
    f.cache(RESOURCES.TrainingSearch).set({ ...search, metadata: { name: "digits-search", namespace: "other" } });
    expect(f.queued()).toBe(0);
  });

  it("requeues the ModelDeployments whose drift baseline is a DataSet, and runs the monitoring snapshot merge", async () => {
    const f = await withModelDeployments([
      mdep("watching", {
        monitoring: {
          feedback: false,
          windowSeconds: 600,
          drift: { threshold: 0.2, baselineDataSetRef: { name: "ds" } },
        },
      }),
      mdep("other"),
    ]);
    f.cache(RESOURCES.DataSet).set({ metadata: { name: "ds", namespace: "ml" }, spec: {} } as unknown as DataSet);
    expect(await drain(f)).toEqual(["ml/watching"]);
    expect(f.runnables).toHaveLength(1);
  });

  it("requeues the ModelDeployment whose loop made a DataSet or TrainingJob as it progresses, not its namesakes", async () => {
    const f = await withModelDeployments([mdep("penguins", { retrain: {} }), mdep("other")]);
    const owner = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      name: "penguins",
      uid: "u",
      controller: true,
    };
    const meta = {
      name: "penguins-loop-1",
      namespace: "ml",
      labels: { "liftoff.dev/loop": "penguins" },
      ownerReferences: [owner],
    };
    f.cache(RESOURCES.TrainingJob).set({
      metadata: meta,
      spec: {},
      status: { phase: "Running" },
    } as unknown as TrainingJob);
    expect(await drain(f)).toEqual(["ml/penguins"]);
    f.cache(RESOURCES.DataSet).set({ metadata: meta, spec: {} } as unknown as DataSet);
    expect(await drain(f)).toEqual(["ml/penguins"]);
    // A TrainingJob owned by a ModelDeployment but not made by a loop (no label) requeues nothing.
    f.cache(RESOURCES.TrainingJob).set({
      metadata: { ...meta, name: "x", labels: {} },
      spec: {},
    } as unknown as TrainingJob);
    expect(f.queued()).toBe(0);
  });

  it("requeues a ModelDeployment when only its annotations change (liftoff.dev/retrain starts a loop by hand)", async () => {
    const m = mdep("penguins", { retrain: {} });
    const f = await withModelDeployments([m]);
    f.cache(RESOURCES.ModelDeployment).set({
      ...m,
      metadata: { ...m.metadata, annotations: { "liftoff.dev/retrain": "1" } },
    });
    expect(await drain(f)).toEqual(["ml/penguins"]);
  });

  it("requeues GPU ModelDeployments when a node's GPUs change, not on its heartbeats", async () => {
    const f = await withModelDeployments([mdep("gpu", { resources: { gpu: 1 } }), mdep("cpu")]);
    const nodes = f.cache(RESOURCES.Node);
    nodes.set(gpuNode("2", "2026-01-01T00:00:00Z"));
    expect(await drain(f)).toEqual(["ml/gpu"]);
    nodes.set(gpuNode("2", "2026-01-01T00:00:10Z"));
    expect(f.queued()).toBe(0);
    nodes.set(gpuNode("1", "2026-01-01T00:00:20Z"));
    expect(await drain(f)).toEqual(["ml/gpu"]);
  });

  it("requeues the ModelDeployment behind KEDA's HPA, which its ScaledObject controls, by the labels KEDA copies", async () => {
    const f = await withModelDeployments([mdep("churn", { autoscaling: AUTO })]);
    f.cache(RESOURCES.HorizontalPodAutoscaler).set({
      metadata: {
        name: "keda-hpa-churn-predictor",
        namespace: "ml",
        labels: { "liftoff.dev/modeldeployment": "churn", "app.kubernetes.io/managed-by": "liftoff" },
        ownerReferences: [
          {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            name: "churn-predictor",
            uid: "so",
            controller: true,
          },
        ],
      },
    });
    expect(await drain(f)).toEqual(["ml/churn"]);
    // An HPA someone else controls, with the label but not KEDA's: nothing.
    f.cache(RESOURCES.HorizontalPodAutoscaler).set({
      metadata: { name: "other", namespace: "ml", labels: { "liftoff.dev/modeldeployment": "churn" } },
    });
    expect(f.queued()).toBe(0);
  });

  it("requeues the autoscaled ModelDeployments when a metrics API's APIService changes, and no others", async () => {
    const f = await withModelDeployments([mdep("scaled", { autoscaling: AUTO }), mdep("fixed")]);
    const services = f.cache(RESOURCES.APIService);
    services.set({ metadata: { name: "v1beta1.metrics.k8s.io" } });
    expect(await drain(f)).toEqual(["ml/scaled"]);
    services.set({ metadata: { name: "v1.apps" } });
    expect(f.queued()).toBe(0);
  });
});
