import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentSpec, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import { podFailure } from "../children/pod-failure.js";
import type { Condition } from "../controller/conditions.js";
import type { KubeObject } from "../kube/types.js";
import { Reason, stalled, waiting } from "../reasons.js";
import type { ResolvedModel } from "./model-source.js";
import { computeStatus, modelSummary, type ObservedState, podsOf } from "./status.js";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:10:00Z";
const at = (t: string) => () => t;
const MODEL: ResolvedModel = { uri: "pvc://models/churn/model.json", format: "tfjs-layers", claim: "models" };
const CANARY: ResolvedModel = { uri: "pvc://models/churn-v2/model.json", format: "tfjs-layers", claim: "models" };

function mdep(
  spec: Partial<ModelDeploymentSpec> = {},
  generation = 1,
  status?: ModelDeploymentStatus,
): ModelDeployment {
  return {
    metadata: { name: "churn", namespace: "ml", uid: "u1", generation },
    spec: { model: { uri: MODEL.uri, format: "tfjs-layers" }, replicas: 2, ...spec },
    ...(status ? { status } : {}),
  };
}

interface DeploymentState {
  generation?: number;
  observedGeneration?: number;
  replicas?: number;
  ready?: number;
  available?: number;
  updated?: number;
  deadlineExceeded?: boolean;
}

function deployment(name: string, specReplicas: number, s: DeploymentState = {}): KubeObject {
  const generation = s.generation ?? 1;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "ml", generation },
    spec: { replicas: specReplicas },
    status: {
      observedGeneration: s.observedGeneration ?? generation,
      replicas: s.replicas ?? specReplicas,
      readyReplicas: s.ready ?? specReplicas,
      availableReplicas: s.available ?? s.ready ?? specReplicas,
      updatedReplicas: s.updated ?? specReplicas,
      conditions: s.deadlineExceeded
        ? [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }]
        : [{ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }],
    },
  };
}

function pod(name: string, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "ml",
      labels: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" },
    },
    status,
  };
}

const healthyPod = (name: string) =>
  pod(name, {
    phase: "Running",
    containerStatuses: [{ name: "runtime", ready: true, restartCount: 0, state: { running: {} } }],
  });

const crashLoopingPod = (name: string) =>
  pod(name, {
    phase: "Running",
    containerStatuses: [
      {
        name: "runtime",
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
        lastState: { terminated: { exitCode: 1, reason: "Error", message: "model digest mismatch\n" } },
      },
    ],
  });

const cond = (s: ModelDeploymentStatus, type: string) =>
  (s.conditions as Condition[] | undefined)?.find((c) => c.type === type);
const types = (s: ModelDeploymentStatus) => (s.conditions ?? []).map((c) => `${c.type}=${c.status}`);

function observe(over: Partial<ObservedState> = {}): ObservedState {
  return {
    stable: deployment("churn-predictor", 2),
    pods: [healthyPod("p-a"), healthyPod("p-b")],
    stableModel: MODEL,
    ...over,
  };
}

describe("computeStatus: Ready", () => {
  it("is Ready when the current generation's desired replicas are available", () => {
    const s = computeStatus(mdep(), observe(), at(T0));
    expect(types(s)).toEqual(["Ready=True", "Degraded=False", "ModelLoaded=True", "Progressing=False"]);
    expect(cond(s, "Ready")).toEqual({
      type: "Ready",
      status: "True",
      observedGeneration: 1,
      lastTransitionTime: T0,
      reason: Reason.Available,
      message: "2/2 replicas available",
    });
    expect(s).toMatchObject({
      observedGeneration: 1,
      url: "http://churn.ml.svc.cluster.local",
      selector: "liftoff.dev/modeldeployment=churn,liftoff.dev/track=stable",
      replicas: 2,
      readyReplicas: 2,
      model: { name: "churn", uri: MODEL.uri },
    });
    expect(s).not.toHaveProperty("lastFailure");
  });

  it("is not Ready while the Deployment has not observed its latest generation", () => {
    const stable = deployment("churn-predictor", 2, { generation: 3, observedGeneration: 2 });
    const s = computeStatus(mdep({}, 3), observe({ stable }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.RolloutInProgress });
    expect(cond(s, "Reconciling")?.status).toBe("True");
  });

  it("is not Ready when fewer replicas are available than the spec wants", () => {
    // The Deployment still says 2 but the ModelDeployment now wants 3.
    const s = computeStatus(mdep({ replicas: 3 }, 2), observe(), at(T0));
    expect(cond(s, "Ready")?.status).toBe("False");
    expect(cond(s, "Progressing")?.status).toBe("True");
  });

  it("reports a rollout in progress: Progressing and Reconciling True, Ready False", () => {
    const stable = deployment("churn-predictor", 2, { ready: 1, updated: 1 });
    const s = computeStatus(mdep(), observe({ stable }), at(T0));
    expect(types(s)).toEqual([
      "Ready=False",
      "Degraded=False",
      "ModelLoaded=True",
      "Progressing=True",
      "Reconciling=True",
    ]);
    expect(cond(s, "Ready")).toMatchObject({
      reason: Reason.RolloutInProgress,
      message: "1/2 replicas ready, 1 updated, 1 old still running",
    });
    expect(s.readyReplicas).toBe(1);
  });

  it("is not Ready while old replicas are still running beside the updated ones (they still serve the old model)", () => {
    // Right after a promotion: the new ReplicaSet is ready, the old one's pod is not yet deleted.
    const stable = deployment("churn-predictor", 2, { replicas: 3 });
    const s = computeStatus(mdep(), observe({ stable }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: Reason.RolloutInProgress,
      message: "2/2 replicas ready, 2 updated, 1 old still running",
    });
    expect(cond(s, "Reconciling")?.status).toBe("True");
  });

  it("reports PodsStarting when every replica is updated but none is ready, and the model not loaded", () => {
    const stable = deployment("churn-predictor", 2, { ready: 0 });
    const s = computeStatus(mdep(), observe({ stable, pods: [] }), at(T0));
    expect(cond(s, "Ready")?.reason).toBe(Reason.PodsStarting);
    expect(cond(s, "ModelLoaded")).toMatchObject({ status: "False", reason: Reason.ModelLoading });
  });

  it("treats a Deployment not created yet as a rollout in progress", () => {
    const s = computeStatus(mdep(), { pods: [], stableModel: MODEL }, at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.RolloutInProgress });
    expect(s.replicas).toBe(0);
  });

  it("is Ready with ScaledToZero at zero replicas, with no model loaded", () => {
    const s = computeStatus(
      mdep({ replicas: 0 }),
      observe({ stable: deployment("churn-predictor", 0), pods: [] }),
      at(T0),
    );
    expect(cond(s, "Ready")).toMatchObject({
      status: "True",
      reason: Reason.ScaledToZero,
      message: "scaled to zero replicas",
    });
    expect(cond(s, "ModelLoaded")).toMatchObject({ status: "False", reason: Reason.ScaledToZero });
  });

  it("takes the desired count from the Deployment when an HPA owns it", () => {
    const m = mdep({ autoscaling: { minReplicas: 1, maxReplicas: 5, metric: "cpu", target: 60, windowSeconds: 30 } });
    delete m.spec.replicas;
    const s = computeStatus(m, observe({ stable: deployment("churn-predictor", 4) }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "True", message: "4/4 replicas available" });
  });
});

describe("computeStatus: pod failures", () => {
  it("names a Vault failure the serving pod stopped on by its own reason, with path and role", () => {
    const line =
      'liftoff-runtime: error: VaultPermissionDenied: logging in to Vault path "auth/kubernetes/login" as role "liftoff-ml-churn" failed: permission denied';
    const vaultPod = pod("p-v", {
      phase: "Running",
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", message: `${line}\n` } },
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0, available: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [vaultPod] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.VaultPermissionDenied });
    expect(cond(s, "Ready")?.message).toContain('role "liftoff-ml-churn"');
    expect(cond(s, "Ready")?.message).toContain('path "auth/kubernetes/login"');
    // The reason is the condition's; the message does not say it again.
    expect(cond(s, "Ready")?.message).toBe(
      'pod p-v: CrashLoopBackOff: logging in to Vault path "auth/kubernetes/login" as role "liftoff-ml-churn" failed: permission denied (exit code 1)',
    );
  });

  it("names a model URL the egress guard refused by EgressRefused, with the runtime's words", () => {
    const line =
      "liftoff-runtime: error: cannot load model http://10.3.0.7/m/model.json: EgressRefused: connecting to 10.3.0.7 is refused: it is a private address; if it is a trusted source, ask the cluster admin to add it to the operator's --egress-allow / chart egress.allow";
    const refused = pod("p-e", {
      phase: "Running",
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", message: `${line}\n` } },
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0, available: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [refused] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.EgressRefused });
    expect(cond(s, "Ready")?.message).toMatch(/10\.3\.0\.7 is refused: it is a private address; .*--egress-allow/);
  });

  it("names a model too large for the pod's memory limit by ModelTooLarge, with the memory to ask for", () => {
    const line =
      "liftoff-runtime: error: cannot load model pvc://models/vit/model.onnx: ModelTooLarge: the model is 330.0 MiB and needs about 916 MiB to load (2× the file + 256 MiB), more than the container's memory limit of 512 MiB; raise spec.resources.memory to at least 916Mi";
    const tooLarge = pod("p-m", {
      phase: "Running",
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", message: `${line}\n` } },
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0, available: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [tooLarge] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.ModelTooLarge });
    expect(cond(s, "ModelLoaded")).toMatchObject({ status: "False", reason: Reason.ModelTooLarge });
    expect(cond(s, "Ready")?.message).toMatch(/raise spec\.resources\.memory to at least 916Mi/);
  });

  it.each([
    ["StorageNotFound", "no object at this key and nothing below it; check the bucket and key"],
    ["StorageAccessDenied", "the secret key does not match the access key (SignatureDoesNotMatch); check the keys"],
    ["StorageUnreachable", "the endpoint http://10.0.0.9:8333 does not answer (ECONNREFUSED)"],
    ["StorageDigestMismatch", `expected sha256:${"0".repeat(64)}, got sha256:${"a".repeat(64)}; refusing to serve`],
    ["StorageCredentialsUnavailable", "reading Vault path secret/data/liftoff/s3 failed"],
  ])("names an s3:// model the pod could not read by %s, with the URI and the cause (issue #27)", (reason, cause) => {
    const uri = "s3://models/churn/model.onnx";
    const line = `liftoff-runtime: error: cannot load model ${uri}: ${reason}: ${uri}: ${cause}`;
    const failing = pod("p-s", {
      phase: "Running",
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } },
          lastState: { terminated: { exitCode: 1, reason: "Error", message: `${line}\n` } },
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0, available: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [failing] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason });
    expect(cond(s, "ModelLoaded")).toMatchObject({ status: "False", reason });
    expect(cond(s, "Ready")?.message).toContain(`${uri}: ${cause}`);
  });

  it("is never Ready while a pod crash-loops, even when other replicas are available", () => {
    const stable = deployment("churn-predictor", 3, { ready: 2, available: 2 });
    const pods = [healthyPod("p-a"), healthyPod("p-b"), crashLoopingPod("p-c")];
    const s = computeStatus(mdep({ replicas: 3 }), observe({ stable, pods }), at(T0));
    const message = "pod p-c: CrashLoopBackOff: model digest mismatch (exit code 1)";
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.CrashLoopBackOff, message });
    expect(cond(s, "Degraded")).toMatchObject({ status: "True", reason: Reason.CrashLoopBackOff });
    expect(cond(s, "Stalled")).toMatchObject({ status: "True", reason: Reason.CrashLoopBackOff });
    expect(cond(s, "Progressing")?.status).toBe("False");
    expect(cond(s, "Reconciling")).toBeUndefined();
    expect(cond(s, "ModelLoaded")?.status).toBe("True"); // two pods did load it
    expect(s.lastFailure).toEqual({
      reason: "CrashLoopBackOff",
      message: "model digest mismatch",
      exitCode: 1,
      pod: "p-c",
    });
  });

  it("is not Ready even when the Deployment counts every replica available while one crash-loops", () => {
    const s = computeStatus(mdep(), observe({ pods: [healthyPod("p-a"), crashLoopingPod("p-b")] }), at(T0));
    expect(cond(s, "Ready")?.status).toBe("False");
    expect(cond(s, "Stalled")?.status).toBe("True");
  });

  it("reports no model loaded when the only pods crash-loop", () => {
    const stable = deployment("churn-predictor", 1, { ready: 0, available: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [crashLoopingPod("p-a")] }), at(T0));
    expect(cond(s, "ModelLoaded")).toMatchObject({ status: "False", reason: Reason.CrashLoopBackOff });
  });

  it("reports an image pull failure as ImagePullFailed without an exit code", () => {
    const pulling = pod("p-a", {
      phase: "Pending",
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "x/y:z"' } },
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [pulling] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: Reason.ImagePullFailed,
      message: 'pod p-a: ImagePullBackOff: Back-off pulling image "x/y:z"',
    });
    expect(cond(s, "Stalled")?.status).toBe("True");
    expect(s.lastFailure).toEqual({
      reason: "ImagePullBackOff",
      message: 'Back-off pulling image "x/y:z"',
      pod: "p-a",
    });
  });

  it("reports an Unschedulable pod as still reconciling, not stalled", () => {
    const pending = pod("p-a", {
      phase: "Pending",
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes: Insufficient nvidia.com/gpu",
        },
      ],
    });
    const stable = deployment("churn-predictor", 1, { ready: 0 });
    const s = computeStatus(mdep({ replicas: 1 }), observe({ stable, pods: [pending] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.Unschedulable });
    expect(cond(s, "Reconciling")?.status).toBe("True");
    expect(cond(s, "Stalled")).toBeUndefined();
    expect(s.lastFailure).toEqual({
      reason: Reason.Unschedulable,
      message: "0/3 nodes: Insufficient nvidia.com/gpu",
      pod: "p-a",
    });
  });

  it("reports a container that exited with an error and restarted as ContainerFailed", () => {
    const restarted = pod("p-a", {
      containerStatuses: [
        {
          name: "runtime",
          ready: false,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
        },
      ],
    });
    const s = computeStatus(mdep(), observe({ pods: [restarted] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: Reason.ContainerFailed,
      message: "pod p-a: OOMKilled: container exited with code 137 (exit code 137)",
    });
    expect(s.lastFailure?.exitCode).toBe(137);
  });

  it("reports the progress deadline as Stalled", () => {
    const stable = deployment("churn-predictor", 2, { ready: 1, updated: 1, deadlineExceeded: true });
    const s = computeStatus(mdep(), observe({ stable, pods: [healthyPod("p-a")] }), at(T0));
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: Reason.ProgressDeadlineExceeded,
      message: "Deployment churn-predictor exceeded its progress deadline",
    });
    expect(cond(s, "Stalled")?.status).toBe("True");
    expect(cond(s, "Progressing")?.status).toBe("False");
    expect(cond(s, "Reconciling")).toBeUndefined();
  });

  it("ignores a stale deadline condition once the rollout is complete", () => {
    const stable = deployment("churn-predictor", 2, { deadlineExceeded: true });
    expect(cond(computeStatus(mdep(), observe({ stable }), at(T0)), "Ready")?.status).toBe("True");
  });
});

describe("computeStatus: failures passed in", () => {
  it("keeps reconciling on ModelNotReady, with Ready and ModelLoaded False", () => {
    const failure = waiting(Reason.ModelNotReady, "TrainingJob t has not succeeded yet (phase Running)");
    const s = computeStatus(mdep(), { pods: [], failure }, at(T0));
    expect(types(s)).toEqual(["Ready=False", "ModelLoaded=False", "Reconciling=True"]);
    expect(cond(s, "Ready")).toMatchObject({ reason: Reason.ModelNotReady, message: failure.message });
    expect(s.replicas).toBe(0);
  });

  it("stalls on a stalled failure", () => {
    const failure = stalled(Reason.UnsupportedModelURI, "bad uri");
    const s = computeStatus(mdep(), { pods: [], failure }, at(T0));
    expect(types(s)).toEqual(["Ready=False", "ModelLoaded=False", "Stalled=True"]);
    expect(cond(s, "Stalled")?.reason).toBe(Reason.UnsupportedModelURI);
  });

  it("keeps the previously served model and the live replica counts", () => {
    const prev = computeStatus(mdep(), observe(), at(T0));
    const failure = stalled(Reason.InsufficientGPU, "no node has 4 GPUs");
    const s = computeStatus(mdep({}, 2, prev), { stable: deployment("churn-predictor", 2), pods: [], failure }, at(T1));
    expect(s.model).toEqual(prev.model);
    expect(s.readyReplicas).toBe(2);
    expect(cond(s, "Ready")).toMatchObject({ status: "False", lastTransitionTime: T1, observedGeneration: 2 });
  });
});

describe("computeStatus: canary", () => {
  const spec = {
    replicas: 3,
    canary: { model: { uri: CANARY.uri, format: "tfjs-layers" as const }, trafficPercent: 25 },
  };

  it("reports the canary and waits for its replicas before Ready", () => {
    const stable = deployment("churn-predictor", 3);
    const waiting = computeStatus(
      mdep(spec),
      observe({ stable, canary: deployment("churn-canary", 1, { ready: 0 }), canaryModel: CANARY }),
      at(T0),
    );
    expect(cond(waiting, "Ready")?.status).toBe("False");
    expect(waiting.canary).toEqual({
      uri: CANARY.uri,
      trafficPercent: 25,
      readyReplicas: 0,
      trafficSplit: "ReplicaRatio",
    });

    const ready = computeStatus(
      mdep(spec),
      observe({ stable, canary: deployment("churn-canary", 1), canaryModel: CANARY, trafficSplit: "HTTPRoute" }),
      at(T0),
    );
    expect(cond(ready, "Ready")).toMatchObject({
      status: "True",
      message: "3/3 replicas available, canary 1/1 with 25% of traffic",
    });
    expect(ready.canary?.trafficSplit).toBe("HTTPRoute");
  });
});

describe("computeStatus: idempotence", () => {
  it("computing again over its own output yields the identical status and transition times", () => {
    const cases: ObservedState[] = [
      observe(),
      observe({ stable: deployment("churn-predictor", 2, { ready: 1, updated: 1 }) }),
      observe({ pods: [healthyPod("p-a"), crashLoopingPod("p-b")] }),
      { pods: [], failure: waiting(Reason.ModelNotReady, "waiting") },
    ];
    for (const o of cases) {
      const first = computeStatus(mdep(), o, at(T0));
      const second = computeStatus(mdep({}, 1, first), o, at(T1));
      expect(second).toEqual(first);
    }
  });

  it("moves only the conditions whose status flipped, and drops Reconciling when done", () => {
    const rolling = computeStatus(
      mdep(),
      observe({ stable: deployment("churn-predictor", 2, { ready: 1, updated: 1 }) }),
      at(T0),
    );
    const done = computeStatus(mdep({}, 1, rolling), observe(), at(T1));
    expect(cond(done, "Ready")).toMatchObject({ status: "True", lastTransitionTime: T1 });
    expect(cond(done, "Degraded")).toMatchObject({ status: "False", lastTransitionTime: T0 });
    expect(cond(done, "ModelLoaded")).toMatchObject({ status: "True", lastTransitionTime: T0 });
    expect(cond(done, "Reconciling")).toBeUndefined();
  });
});

describe("podFailure and podsOf", () => {
  it("reports the first failing pod by name, whatever the list order", () => {
    const f = podFailure([crashLoopingPod("p-z"), healthyPod("p-b"), crashLoopingPod("p-c")]);
    expect(f?.pod).toBe("p-c");
    expect(podFailure([healthyPod("p-a")])).toBeUndefined();
  });

  it("falls back to the waiting message when the container never terminated", () => {
    const p = pod("p-a", {
      containerStatuses: [
        {
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "x" not found' } },
        },
      ],
    });
    expect(podFailure([p])).toEqual({
      reason: "CreateContainerConfigError",
      message: 'secret "x" not found',
      pod: "p-a",
    });
  });

  it("selects the pods of one ModelDeployment that are not being deleted", () => {
    const other = { ...healthyPod("o"), metadata: { name: "o", labels: { "liftoff.dev/modeldeployment": "other" } } };
    const deleting = { ...healthyPod("d"), metadata: { ...healthyPod("d").metadata, deletionTimestamp: T0 } };
    expect(podsOf([healthyPod("a"), other, deleting], "churn").map((p) => p.metadata?.name)).toEqual(["a"]);
  });
});

describe("modelSummary (the MODEL column)", () => {
  const hex = "80daacaf".repeat(8);
  it.each([
    [
      "the TrainingJob's name",
      { trainingJobRef: { name: "penguins-mlp" } },
      { uri: `pvc://data/models/penguins-mlp/${hex}`, digest: `sha256:${hex}` },
      "penguins-mlp",
    ],
    [
      "else the short digest",
      { uri: "pvc://m/x" },
      { uri: `pvc://data/models/m/${hex}`, digest: `sha256:${hex}` },
      "sha256:80daacaf80da",
    ],
    [
      "else a short URI as it is",
      { uri: "https://m.example/a/model.json" },
      { uri: "https://m.example/a/model.json" },
      "https://m.example/a/model.json",
    ],
    [
      "else the long URI's end",
      { uri: "x" },
      { uri: `https://models.example.com/some/long/path/to/a/model/${"d".repeat(30)}/model.json` },
      `…${"d".repeat(28)}/model.json`,
    ],
  ])("%s", (_case, model, served, shown) => {
    const m = mdep({ model: { format: "tfjs-layers", ...model } as never });
    expect(modelSummary(m, served)).toBe(shown);
    expect(modelSummary(m, served).length).toBeLessThanOrEqual(64);
  });
});
