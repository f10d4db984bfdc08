import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { ModelDeployment, ModelDeploymentSpec, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import type { EventRecorder } from "../controller/events.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { KubeClient } from "../kube/client.js";
import type { Deployment } from "../kube/models.js";
import { KubeApiError } from "../kube/request.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason, stalled } from "../reasons.js";
import {
  awaitedEvent,
  ModelDeploymentReconciler,
  type ModelDeploymentReconcilerOptions,
  ownedKinds,
  SETTLE_LIMIT_MS,
} from "./reconciler.js";

const log = pino({ level: "silent" });
const KEY = "ml/churn";
const NO_CAPS = { serviceMonitor: false, gatewayAPI: false };

function mdep(spec: Partial<ModelDeploymentSpec> = {}, status?: ModelDeploymentStatus): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "churn", namespace: "ml", uid: "uid-churn", generation: 1, resourceVersion: "1" },
    spec: { model: { uri: "https://models.example/churn/model.json", format: "tfjs-layers" }, replicas: 1, ...spec },
    ...(status ? { status } : {}),
  };
}

interface Call {
  verb: "apply" | "delete";
  resource: ResourceType;
  name: string;
  subresource?: string;
  body?: KubeObject;
}

/** A reconciler over fake caches and a fake API client that records every write and answers like a server. */
function harness(
  m: ModelDeployment,
  refuse?: (r: ResourceType, obj: KubeObject) => KubeApiError | undefined,
  extra: Partial<Pick<ModelDeploymentReconcilerOptions, "capabilities" | "autoscaling">> & {
    /** What the fake API server lists, by plural. */
    listed?: Record<string, KubeObject[]>;
  } = {},
) {
  const caps = extra.capabilities ?? NO_CAPS;
  let clock = 0;
  let rv = 100;
  const calls: Call[] = [];
  const mdeps = new FakeCache(RESOURCES.ModelDeployment, [m]);
  const owned = ownedKinds(caps).map((r) => new FakeCache(r));
  const cacheOf = (r: ResourceType) => owned.find((c) => c.resource === r) as FakeCache | undefined;
  const client = {
    apply: vi.fn(async (r: ResourceType, obj: KubeObject, subresource?: string) => {
      calls.push({
        verb: "apply",
        resource: r,
        name: obj.metadata?.name ?? "",
        ...(subresource ? { subresource } : {}),
        body: obj,
      });
      const refusal = refuse?.(r, obj);
      if (refusal) throw refusal;
      rv += 1;
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv), generation: 1 } };
    }),
    delete: vi.fn(async (r: ResourceType, _ns: string, name: string) => {
      calls.push({ verb: "delete", resource: r, name });
    }),
    list: vi.fn(async (r: ResourceType, _ns: string, params: Record<string, string>) => ({
      items: (extra.listed?.[r.plural] ?? []).filter((o) =>
        (params.labelSelector ?? "")
          .split(",")
          .filter(Boolean)
          .every((kv) => {
            const [k = "", v] = kv.split("=");
            return o.metadata?.labels?.[k] === v;
          }),
      ),
      resourceVersion: "1",
    })),
  };
  const events = { record: vi.fn(async () => undefined) };
  const reconciler = new ModelDeploymentReconciler({
    client: client as unknown as KubeClient,
    caches: {
      modelDeployments: mdeps,
      trainingJobs: new FakeCache(RESOURCES.TrainingJob),
      pods: new FakeCache(RESOURCES.Pod),
      nodes: new FakeCache(RESOURCES.Node),
      owned,
    },
    events: events as unknown as EventRecorder,
    runtimeImage: "registry.local/liftoff-runtime:1",
    capabilities: caps,
    ...(extra.autoscaling ? { autoscaling: extra.autoscaling } : {}),
    now: () => "2026-01-01T00:00:00Z",
    clockMs: () => clock,
  });
  const writes = () => calls.splice(0);
  return {
    reconcile: (signal = new AbortController().signal) => reconciler.reconcile(KEY, { log, signal }),
    /** The options (the reconcile's signal) each apply was sent with, status writes included. */
    applyOptions: () => client.apply.mock.calls.map((c) => (c as unknown[])[3]),
    writes,
    /** Events recorded so far, as "type reason: message". */
    events: () =>
      events.record.mock.calls.map((c) => {
        const [, type, reason, message] = c as unknown as [unknown, string, string, string];
        return `${type} ${reason}: ${message}`;
      }),
    advance: (ms: number) => {
      clock += ms;
    },
    cacheOf,
    mdeps,
    /** Delivers the watch events of the children applied so far; each Deployment with `status` from its controller. */
    echo(calls: Call[], status: Deployment["status"] = {}) {
      for (const c of calls.filter((x) => x.verb === "apply" && !x.subresource)) {
        const obj = { ...c.body, metadata: { ...c.body?.metadata, resourceVersion: "echo", generation: 1 } };
        cacheOf(c.resource)?.set(c.resource === RESOURCES.Deployment ? { ...obj, status } : obj);
      }
    },
    /** Stores the status last applied, as the status subresource would. */
    storeStatus(c: Call | undefined) {
      const current = mdeps.get(KEY);
      if (current && c?.body) mdeps.set({ ...current, status: c.body.status });
    },
  };
}

const SCALE_TO_ZERO = { minReplicas: 0, maxReplicas: 4, metric: "concurrency", target: 5, windowSeconds: 30 } as const;
/** A ModelDeployment with autoscaling minReplicas 0 (and no replicas: the two exclude each other). */
function scaledToZero(): ModelDeployment {
  const m = mdep({ autoscaling: SCALE_TO_ZERO });
  delete m.spec.replicas;
  return m;
}
const ready = { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };
const readyCondition = (c: Call | undefined) =>
  (c?.body?.status as ModelDeploymentStatus | undefined)?.conditions?.find((x) => x.type === "Ready");
const summary = (calls: Call[]) =>
  calls.map((c) => `${c.verb} ${c.resource.kind} ${c.name}${c.subresource ? `/${c.subresource}` : ""}`);

describe("ModelDeploymentReconciler", () => {
  it("applies every child, holds status back until their echoes come, then writes it once: five writes", async () => {
    const h = harness(mdep());
    const first = await h.reconcile();
    const applied = h.writes();
    expect(summary(applied)).toEqual([
      "apply ServiceAccount churn-runtime",
      "apply Deployment churn-predictor",
      "apply Service churn",
      "apply NetworkPolicy churn",
    ]);
    expect(first?.requeueAfterMs).toBe(SETTLE_LIMIT_MS);
    h.echo(applied, ready);
    await h.reconcile();
    const second = h.writes();
    expect(summary(second)).toEqual(["apply ModelDeployment churn/status"]);
    expect(second[0]?.body?.status).toMatchObject({ observedGeneration: 1, readyReplicas: 1 });
    expect(readyCondition(second[0])).toMatchObject({ status: "True", reason: Reason.Available });
  });

  it("says VaultUnreachable for spec.auth when the operator has no Vault, naming path and role, and applies nothing", async () => {
    const h = harness(mdep({ auth: { apiKeys: { path: "secret/data/ml/api-keys", key: "churn" } } }));
    await h.reconcile();
    const writes = h.writes();
    expect(summary(writes)).toEqual(["apply ModelDeployment churn/status"]);
    const ready = readyCondition(writes[0]);
    expect(ready).toMatchObject({ status: "False", reason: Reason.VaultUnreachable });
    expect(ready?.message).toContain('path "secret/data/ml/api-keys" as role "liftoff-ml-churn"');
    expect(ready?.message).toContain("--vault-addr");
  });

  it.each([
    ["Ready at its generation: left as it is", 1, "True", []],
    ["Ready at an older generation: new work waits", 2, "True", ["apply ModelDeployment churn/status"]],
    ["not Ready: waits", 1, "False", ["apply ModelDeployment churn/status"]],
  ] as const)("spec.auth under an operator without Vault, %s", async (_case, generation, readyStatus, expected) => {
    const auth = { apiKeys: { path: "secret/data/ml/api-keys", key: "churn" } };
    const cond = {
      type: "Ready",
      status: readyStatus,
      reason: "Available",
      message: "",
      lastTransitionTime: "t",
      observedGeneration: 1,
    };
    const m = mdep({ auth }, { observedGeneration: 1, conditions: [cond] });
    m.metadata = { ...m.metadata, generation };
    const h = harness(m);
    await h.reconcile();
    expect(summary(h.writes())).toEqual(expected);
  });

  it("stalls with AutoscalingMetricsUnavailable when nothing serves metric concurrency, naming what to install", async () => {
    const none = { resource: false, custom: false, external: false };
    const h = harness(scaledToZero(), undefined, {
      capabilities: { ...NO_CAPS, keda: false, metricsAPIs: none },
    });
    await h.reconcile();
    const writes = h.writes();
    expect(summary(writes)).toEqual(["apply ModelDeployment churn/status"]);
    expect(readyCondition(writes[0])).toMatchObject({
      status: "False",
      reason: Reason.AutoscalingMetricsUnavailable,
      message: expect.stringContaining("autoscaling.minReplicas 0 needs KEDA"),
    });
    const conds = (writes[0]?.body?.status as ModelDeploymentStatus | undefined)?.conditions ?? [];
    expect(conds.find((c) => c.type === "Stalled")).toMatchObject({ status: "True" });
  });

  it("scales to zero with KEDA and the activator: ScaledObject, Endpoints, selector-less Service; then writes nothing", async () => {
    const h = harness(scaledToZero(), undefined, {
      capabilities: { ...NO_CAPS, keda: true },
      autoscaling: {
        prometheusUrl: "http://prom:9090",
        pollingSeconds: 5,
        activatorAddresses: () => [{ ip: "10.0.0.9", port: 8012 }],
      },
    });
    await h.reconcile();
    const applied = h.writes();
    expect(summary(applied)).toEqual(
      expect.arrayContaining([
        "apply Service churn",
        "apply Service churn-predictor",
        "apply ScaledObject churn-predictor",
        "apply Endpoints churn",
      ]),
    );
    // KEDA scaled it to zero: the Deployment shows 0 of 0.
    h.echo(applied, { observedGeneration: 1, replicas: 0 });
    const deployments = h.cacheOf(RESOURCES.Deployment);
    const dep = deployments?.get("ml/churn-predictor");
    deployments?.set({ ...dep, spec: { ...dep?.spec, replicas: 0 } });
    await h.reconcile();
    const status = h.writes();
    expect(summary(status)).toEqual(["apply ModelDeployment churn/status"]);
    expect(readyCondition(status[0])).toMatchObject({ status: "True", reason: Reason.ScaledToZero });
    expect((status[0]?.body?.status as ModelDeploymentStatus | undefined)?.autoscaling).toMatchObject({
      engine: "keda",
      summary: "0/0 idle",
    });
    h.storeStatus(status[0]);
    expect(await h.reconcile()).toBeUndefined();
    expect(h.writes()).toEqual([]);
  });

  it("deletes the EndpointSlice controller's slices of the public Service when it turns selector-less, once", async () => {
    const slice = (name: string, managedBy: string, service = "churn"): KubeObject => ({
      metadata: {
        name,
        labels: { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": managedBy },
      },
    });
    const h = harness(scaledToZero(), undefined, {
      capabilities: { ...NO_CAPS, keda: true },
      autoscaling: { prometheusUrl: "http://prom:9090", pollingSeconds: 5, activatorAddresses: () => [] },
      listed: {
        endpointslices: [
          slice("churn-abcde", "endpointslice-controller.k8s.io"),
          slice("churn-mirror", "endpointslicemirroring-controller.k8s.io"),
          slice("churn-predictor-xyz", "endpointslice-controller.k8s.io", "churn-predictor"),
        ],
      },
    });
    // No activator address: refused, and the Service keeps its selector (nothing to clean).
    await h.reconcile();
    expect(summary(h.writes()).filter((w) => w.includes("EndpointSlice"))).toEqual([]);
    const h2 = harness(scaledToZero(), undefined, {
      capabilities: { ...NO_CAPS, keda: true },
      autoscaling: {
        prometheusUrl: "http://prom:9090",
        pollingSeconds: 5,
        activatorAddresses: () => [{ ip: "10.0.0.9", port: 8012 }],
      },
      listed: {
        endpointslices: [
          slice("churn-abcde", "endpointslice-controller.k8s.io"),
          slice("churn-mirror", "endpointslicemirroring-controller.k8s.io"),
          slice("churn-predictor-xyz", "endpointslice-controller.k8s.io", "churn-predictor"),
        ],
      },
    });
    await h2.reconcile();
    const first = h2.writes();
    expect(summary(first).filter((w) => w.includes("EndpointSlice"))).toEqual(["delete EndpointSlice churn-abcde"]);
    // The Service unchanged on the next pass: no list, no delete.
    h2.echo(first, { observedGeneration: 1, replicas: 0 });
    await h2.reconcile();
    expect(summary(h2.writes()).filter((w) => w.includes("EndpointSlice"))).toEqual([]);
  });

  it("writes nothing when children match the cache and status is current", async () => {
    const h = harness(mdep());
    await h.reconcile();
    h.echo(h.writes(), ready);
    await h.reconcile();
    h.storeStatus(h.writes()[0]);
    expect(await h.reconcile()).toBeUndefined();
    expect(h.writes()).toEqual([]);
    expect(h.events()).toEqual([]);
  });

  it("re-applies a child someone changed and says so in an Event", async () => {
    const h = harness(mdep());
    await h.reconcile();
    const applied = h.writes();
    h.echo(applied, ready);
    const deployments = h.cacheOf(RESOURCES.Deployment);
    const dep = deployments?.get("ml/churn-predictor");
    deployments?.set({ ...dep, spec: { ...dep?.spec, revisionHistoryLimit: 10 } });
    await h.reconcile();
    expect(summary(h.writes())).toEqual(["apply Deployment churn-predictor"]);
    expect(h.events()).toEqual([`Normal ${Reason.ChildUpdated}: Updated Deployment churn-predictor`]);
  });

  it("writes status as soon as the Deployment controller has observed the Deployment", async () => {
    const h = harness(mdep());
    await h.reconcile();
    h.echo(h.writes(), {}); // the echo comes before the Deployment controller has seen it
    expect((await h.reconcile())?.requeueAfterMs).toBe(SETTLE_LIMIT_MS);
    expect(h.writes()).toEqual([]);
    const deployments = h.cacheOf(RESOURCES.Deployment);
    const dep = deployments?.get("ml/churn-predictor");
    deployments?.set({ ...dep, status: ready });
    expect(await h.reconcile()).toBeUndefined();
    const writes = h.writes();
    expect(summary(writes)).toEqual(["apply ModelDeployment churn/status"]);
    expect(readyCondition(writes[0])).toMatchObject({ status: "True" });
  });

  it("writes status after the settle limit when the Deployment controller never observes the Deployment", async () => {
    const h = harness(mdep());
    await h.reconcile();
    h.echo(h.writes(), {}); // no observedGeneration: the controller-manager has not seen it
    const held = await h.reconcile();
    expect(h.writes()).toEqual([]);
    expect(held?.requeueAfterMs).toBe(SETTLE_LIMIT_MS);
    h.advance(SETTLE_LIMIT_MS - 1);
    expect((await h.reconcile())?.requeueAfterMs).toBe(1);
    h.advance(1);
    await h.reconcile();
    const writes = h.writes();
    expect(summary(writes)).toEqual(["apply ModelDeployment churn/status"]);
    expect(readyCondition(writes[0])).toMatchObject({ status: "False", reason: Reason.RolloutInProgress });
  });

  it("deletes a child it controls that the spec no longer asks for, and only that one", async () => {
    const h = harness(mdep());
    await h.reconcile();
    h.echo(h.writes(), ready);
    const owner = { apiVersion: "liftoff.dev/v1alpha1", kind: "ModelDeployment", name: "churn", controller: true };
    const labels = { "liftoff.dev/modeldeployment": "churn" };
    const deployments = h.cacheOf(RESOURCES.Deployment);
    deployments?.set({
      metadata: { name: "churn-canary", namespace: "ml", labels, ownerReferences: [{ ...owner, uid: "uid-churn" }] },
    });
    deployments?.set({
      metadata: { name: "churn-old", namespace: "ml", labels, ownerReferences: [{ ...owner, uid: "another-uid" }] },
    });
    await h.reconcile();
    expect(summary(h.writes())).toEqual(["delete Deployment churn-canary", "apply ModelDeployment churn/status"]);
    expect(h.events()).toEqual([`Normal ${Reason.ChildDeleted}: Deleted Deployment churn-canary`]);
  });

  it("turns a refused apply into ApplyFailed at once, Stalled, with a Warning, and deletes nothing", async () => {
    const refusal = new KubeApiError(422, { message: "spec.template: forbidden by policy" }, "PATCH", "/x");
    const h = harness(mdep(), (r) => (r === RESOURCES.Deployment ? refusal : undefined));
    h.cacheOf(RESOURCES.Deployment)?.set({
      metadata: {
        name: "churn-canary",
        namespace: "ml",
        labels: { "liftoff.dev/modeldeployment": "churn" },
        ownerReferences: [
          {
            apiVersion: "liftoff.dev/v1alpha1",
            kind: "ModelDeployment",
            name: "churn",
            uid: "uid-churn",
            controller: true,
          },
        ],
      },
    });
    expect(await h.reconcile()).toBeUndefined();
    const writes = h.writes();
    expect(writes.some((c) => c.verb === "delete")).toBe(false);
    const status = writes.find((c) => c.subresource === "status");
    expect(readyCondition(status)).toMatchObject({
      status: "False",
      reason: Reason.ApplyFailed,
      message: "cannot apply Deployment churn-predictor: spec.template: forbidden by policy",
    });
    const conditions = (status?.body?.status as ModelDeploymentStatus | undefined)?.conditions ?? [];
    expect(conditions.find((c) => c.type === "Stalled")).toMatchObject({ status: "True", reason: Reason.ApplyFailed });
    expect(h.events()).toEqual([
      `Warning ${Reason.ApplyFailed}: cannot apply Deployment churn-predictor: spec.template: forbidden by policy`,
    ]);
  });

  it.each([409, 429, 500])("leaves HTTP %i to the work queue's retry", async (code) => {
    const h = harness(mdep(), () => new KubeApiError(code, { message: "try again" }, "PATCH", "/x"));
    await expect(h.reconcile()).rejects.toMatchObject({ code });
    expect(h.writes().some((c) => c.subresource === "status")).toBe(false);
  });

  it("reports a missing TrainingJob as ModelNotReady without creating children", async () => {
    const h = harness(mdep({ model: { trainingJobRef: { name: "train-churn" }, format: "tfjs-layers" } }));
    await h.reconcile();
    const writes = h.writes();
    expect(summary(writes)).toEqual(["apply ModelDeployment churn/status"]);
    expect(readyCondition(writes[0])).toMatchObject({ status: "False", reason: Reason.ModelNotReady });
    expect(h.events()).toEqual([
      `Warning ${Reason.ModelNotReady}: TrainingJob train-churn not found; create it or fix model.trainingJobRef`,
    ]);
  });

  it("records a Normal event when Ready recovers from a failure, none when it stays the same", async () => {
    const failed: ModelDeploymentStatus = {
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: Reason.CrashLoopBackOff,
          message: "pod p: CrashLoopBackOff",
          lastTransitionTime: "2026-01-01T00:00:00Z",
          observedGeneration: 1,
        },
      ],
    };
    const h = harness(mdep({}, failed));
    await h.reconcile();
    h.echo(h.writes(), ready);
    await h.reconcile();
    h.storeStatus(h.writes()[0]);
    expect(h.events()).toEqual([`Normal ${Reason.Available}: 1/1 replicas available`]);
    await h.reconcile();
    expect(h.events()).toHaveLength(1);
  });

  it("sends every API request of a reconcile with that reconcile's signal", async () => {
    const h = harness(mdep());
    const ac = new AbortController();
    await h.reconcile(ac.signal);
    const options = h.applyOptions();
    expect(options.length).toBeGreaterThan(1);
    expect(options.every((o) => (o as { signal?: AbortSignal } | undefined)?.signal === ac.signal)).toBe(true);
  });

  it("does nothing for a ModelDeployment being deleted or gone", async () => {
    const h = harness({ ...mdep(), metadata: { ...mdep().metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } });
    expect(await h.reconcile()).toBeUndefined();
    h.mdeps.remove(mdep());
    expect(await h.reconcile()).toBeUndefined();
    expect(h.writes()).toEqual([]);
  });
});

describe("awaitedEvent", () => {
  const seen = { metadata: { generation: 2 }, status: { observedGeneration: 2 } } as Deployment;
  const unseen = { metadata: { generation: 3 }, status: { observedGeneration: 2 } } as Deployment;
  const failure = stalled(Reason.ApplyFailed, "refused");
  it.each([
    ["a failure, whatever else", failure, true, [unseen], undefined],
    ["own writes", undefined, true, [unseen], "own writes"],
    ["a rollout not yet observed", undefined, false, [seen, unseen], "rollout"],
    ["nothing on its way", undefined, false, [seen, undefined], undefined],
  ] as const)("%s", (_case, f, written, deployments, expected) => {
    expect(awaitedEvent(f, written, deployments)).toBe(expected);
  });
});
