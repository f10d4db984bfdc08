// The store of pushed monitoring snapshots: who may push (the owner chain's ModelDeployment, stable or canary track,
// leader only, a well-formed body), which snapshots merge (ready pods of that ModelDeployment, fresh, each track
// apart: the stable observation never sees the canary's counts), and that a ModelDeployment is enqueued only when its
// merged result changed.
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../kube/types.js";
import { createOperatorMetrics } from "../../metrics.js";
import { ReportRejected } from "../../report/identity.js";
import type { ServingPod } from "../../report/serving-owner.js";
import { MonitoringSnapshots } from "./snapshots.js";

const mdep = (name: string, uid = `${name}-uid`): KubeObject => ({
  metadata: { name, namespace: "ml", uid },
  spec: { monitoring: { drift: {} } },
});

const pod = (name: string, opts: { mdep?: string; track?: string; ready?: boolean } = {}): KubeObject => ({
  metadata: {
    name,
    namespace: "ml",
    uid: `${name}-uid`,
    labels: { "liftoff.dev/modeldeployment": opts.mdep ?? "churn", "liftoff.dev/track": opts.track ?? "stable" },
  },
  status: {
    podIP: "10.0.0.1",
    conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
  },
});

/** The identity the report endpoint derived for a pod (its owner chain names `owner`). */
const sender = (p: KubeObject, owner = "churn", ownerUid = `${owner}-uid`): ServingPod => ({
  kind: "ModelDeployment",
  namespace: "ml",
  name: owner,
  uid: ownerUid,
  deployment: {
    name: p.metadata?.labels?.["liftoff.dev/track"] === "canary" ? `${owner}-canary` : `${owner}-predictor`,
    uid: "dep",
  },
  pod: { name: p.metadata?.name ?? "", uid: p.metadata?.uid ?? "", labels: p.metadata?.labels ?? {} },
});

const snapshot = (counts: number[]) => ({
  windowSeconds: 60,
  baseline: { configured: true },
  drift: {
    baselineDigest: "d",
    rows: counts.reduce((a, b) => a + b, 0),
    unmatched: [],
    features: [{ name: "x", source: "input", labels: ["0", "1"], expected: [0.5, 0.5], counts }],
  },
});

const started: MonitoringSnapshots[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

function store(
  o: {
    mdeps?: KubeObject[];
    pods?: KubeObject[];
    reporting?: boolean;
    metrics?: ReturnType<typeof createOperatorMetrics>;
  } = {},
) {
  const world = { mdeps: o.mdeps ?? [mdep("churn")], pods: o.pods ?? [pod("a"), pod("b")], clock: 0 };
  const changed: string[] = [];
  const s = new MonitoringSnapshots({
    periodSeconds: 10,
    modelDeployments: () => world.mdeps,
    pods: () => world.pods,
    changed: (k) => changed.push(k),
    reporting: o.reporting ?? true,
    log: pino({ level: "silent" }),
    now: () => world.clock,
    ...(o.metrics ? { trackAccuracy: o.metrics.trackAccuracy } : {}),
  });
  s.start();
  started.push(s);
  return { s, world, changed };
}

const rejection = (f: () => void): number | undefined => {
  try {
    f();
  } catch (err) {
    if (err instanceof ReportRejected) return err.status;
    throw err;
  }
  return undefined;
};

const rows = (s: MonitoringSnapshots, key = "ml/churn") => {
  const o = s.get(key);
  return o && "merged" in o ? { pods: o.merged.pods, rows: o.merged.rows } : o;
};

describe("MonitoringSnapshots.receive", () => {
  it("refuses a pod of another ModelDeployment, a pod of no known track, a malformed body, and any push to a non-leader", async () => {
    const { s } = store();
    // Labelled for churn but its owner chain names fraud: refused (and fraud's counts stay untouched).
    expect(rejection(() => s.receive(sender(pod("a"), "fraud"), snapshot([1, 1])))).toBe(403);
    // A canary pod of another ModelDeployment is refused just the same.
    expect(rejection(() => s.receive(sender(pod("c", { track: "canary" }), "fraud"), snapshot([1, 1])))).toBe(403);
    expect(rejection(() => s.receive(sender(pod("c", { track: "shadow" })), snapshot([1, 1])))).toBe(403);
    // The canary's own pods are accepted (merged apart: see "per track" below).
    expect(rejection(() => s.receive(sender(pod("c", { track: "canary" })), snapshot([1, 1])))).toBeUndefined();
    expect(rejection(() => s.receive(sender(pod("a")), { windowSeconds: -1 }))).toBe(400);
    expect(rejection(() => s.receive(sender(pod("a")), { ...snapshot([1]), drift: { rows: "many" } }))).toBe(400);
    await s.stop();
    expect(rejection(() => s.receive(sender(pod("a")), snapshot([1, 1])))).toBe(503);
  });

  it("shows a ModelDeployment's first counts at once, later ones at the next period", () => {
    const { s, changed } = store();
    s.receive(sender(pod("a")), snapshot([3, 1]));
    expect(rows(s)).toEqual({ pods: 1, rows: 4 });
    expect(changed).toEqual(["ml/churn"]);
    s.receive(sender(pod("b")), snapshot([1, 1]));
    expect(rows(s)).toEqual({ pods: 1, rows: 4 });
    s.tick();
    expect(rows(s)).toEqual({ pods: 2, rows: 6 });
    expect(changed).toEqual(["ml/churn", "ml/churn"]);
  });
});

describe("MonitoringSnapshots.tick", () => {
  it("merges only ready stable pods of the ModelDeployment, and enqueues only when the merge changed", () => {
    const { s, world, changed } = store({
      pods: [pod("a"), pod("b", { ready: false }), pod("other", { mdep: "fraud" })],
      mdeps: [mdep("churn"), mdep("fraud")],
    });
    s.receive(sender(pod("a")), snapshot([2, 0]));
    s.receive(sender(pod("b", { ready: false })), snapshot([50, 50]));
    s.receive(sender(pod("other", { mdep: "fraud" }), "fraud"), snapshot([7, 7]));
    s.tick();
    expect(rows(s)).toEqual({ pods: 1, rows: 2 });
    expect(rows(s, "ml/fraud")).toEqual({ pods: 1, rows: 14 });
    const after = changed.length;
    s.tick();
    expect(changed.length).toBe(after); // nothing new: no requeue
    world.pods = [pod("a"), pod("b"), pod("other", { mdep: "fraud" })]; // b turned ready
    s.tick();
    expect(rows(s)).toEqual({ pods: 2, rows: 102 });
    expect(changed.slice(after)).toEqual(["ml/churn"]);
  });

  it("drops the snapshot of a pod that is gone or stopped pushing, and of a recreated ModelDeployment's pods", () => {
    const { s, world } = store();
    s.receive(sender(pod("a")), snapshot([1, 0]));
    s.receive(sender(pod("b")), snapshot([0, 1]));
    world.clock = 15_000;
    s.receive(sender(pod("b")), snapshot([0, 2]));
    world.clock = 31_000; // a's snapshot is 31 s old: more than three periods
    s.tick();
    expect(rows(s)).toEqual({ pods: 1, rows: 2 });
    world.pods = [pod("a")]; // b is gone
    s.tick();
    expect(s.get("ml/churn")).toEqual({ unavailable: expect.stringMatching(/no ready serving pod pushed/) });
    // Same name, new uid: counts pushed for the old object do not merge into the new one.
    s.receive(sender(pod("a"), "churn", "old-uid"), snapshot([5, 5]));
    s.tick();
    expect(s.get("ml/churn")).toEqual({ unavailable: expect.stringMatching(/no ready serving pod pushed/) });
  });

  it("says why there is nothing to merge: no ready pod, or no report endpoint for pods to push to", () => {
    const none = store({ pods: [] });
    none.s.tick();
    expect(none.s.get("ml/churn")).toEqual({ unavailable: expect.stringMatching(/no ready serving pod/) });
    const off = store({ reporting: false });
    off.s.tick();
    expect(off.s.get("ml/churn")).toEqual({ unavailable: expect.stringMatching(/--report-url/) });
  });

  it("forgets ModelDeployments that no longer ask for monitoring", () => {
    const { s, world } = store();
    s.receive(sender(pod("a")), snapshot([1, 1]));
    expect(s.get("ml/churn")).toBeDefined();
    world.mdeps = [{ ...mdep("churn"), spec: {} }];
    s.tick();
    expect(s.get("ml/churn")).toBeUndefined();
  });
});

describe("a GPU pod's fallback to the CPU (GPUFallback)", () => {
  const gpuOnnx = (name: string): KubeObject => ({
    metadata: { name, namespace: "ml", uid: `${name}-uid` },
    spec: { model: { uri: "pvc://m/model.onnx", format: "onnx" }, resources: { gpu: 1 } },
  });
  const why = "the CUDA execution provider cannot load (libcudnn.so.9: not found); running on the CPU";

  it("an unmonitored ONNX ModelDeployment on a GPU takes its pods' pushes and shows which pod fell back", () => {
    const { s, changed } = store({ mdeps: [gpuOnnx("churn")] });
    s.receive(sender(pod("a")), { windowSeconds: 0, baseline: { configured: false }, gpuFallback: why });
    expect(changed).toEqual(["ml/churn"]);
    expect(s.get("ml/churn")?.gpuFallback).toEqual({ pod: "a", message: why });
  });

  it("nothing to show when its pods took the GPU (they push nothing), nor for a CPU model", () => {
    const { s } = store({ mdeps: [gpuOnnx("churn"), mdep("other")] });
    s.tick();
    expect(s.get("ml/churn")?.gpuFallback).toBeUndefined();
    expect(s.get("ml/other")?.gpuFallback).toBeUndefined();
  });
});

describe("a language model's tokens/s (issue #26)", () => {
  const gguf = (name: string): KubeObject => ({
    metadata: { name, namespace: "ml", uid: `${name}-uid` },
    spec: { model: { uri: "pvc://m/smol.gguf", format: "gguf" } },
  });
  const push = (seconds: number, generationTokens: number, promptTokens = 0) => ({
    windowSeconds: 0,
    baseline: { configured: false },
    llm: { windowSeconds: 60, seconds, promptTokens, generationTokens },
  });

  it("an unmonitored gguf ModelDeployment takes its pods' pushes: each pod's tokens over its seconds, summed", () => {
    const { s, changed } = store({ mdeps: [gguf("churn")] });
    s.receive(sender(pod("a")), push(60, 600, 120));
    expect(changed).toEqual(["ml/churn"]);
    // A pod up for 20 s: its 100 tokens are 5 tokens/s, not 100/60.
    s.receive(sender(pod("b")), push(20, 100, 30));
    s.tick();
    expect(s.get("ml/churn")?.llm).toEqual({ tokensPerSecond: 15, promptTokensPerSecond: 3.5, pods: 2 });
  });

  it("rounds to 0.1 token/s: a change below that does not enqueue the ModelDeployment", () => {
    const { s, changed } = store({ mdeps: [gguf("churn")], pods: [pod("a")] });
    s.receive(sender(pod("a")), push(60, 200)); // 3.333…
    expect(s.get("ml/churn")?.llm?.tokensPerSecond).toBe(3.3);
    s.receive(sender(pod("a")), push(60, 203)); // 3.383… → 3.4
    s.tick();
    expect(s.get("ml/churn")?.llm?.tokensPerSecond).toBe(3.4);
    const before = changed.length;
    s.receive(sender(pod("a")), push(60, 204)); // 3.4 again
    s.tick();
    expect(changed.length).toBe(before);
  });

  it("a pod younger than a second counts over one second, not its age", () => {
    const { s } = store({ mdeps: [gguf("churn")], pods: [pod("a")] });
    s.receive(sender(pod("a")), push(0.01, 3));
    expect(s.get("ml/churn")?.llm?.tokensPerSecond).toBe(3);
  });

  it("no figure from pods that pushed no llm section", () => {
    const { s } = store();
    s.receive(sender(pod("a")), snapshot([5, 5]));
    expect(s.get("ml/churn")).toHaveProperty("merged");
    expect(s.get("ml/churn")?.llm).toBeUndefined();
  });
});

describe("per track: the canary's counts merge apart (issue #28)", () => {
  const classified = (confusion: number[][], requests = 0, errors = 0) => ({
    ...snapshot([1, 1]),
    quality: { task: "classification", classes: ["a", "b"], classification: { confusion } },
    serving: { requests, errors, latencyMs: { bounds: [1, 10], counts: [requests, 0, 0] } },
  });
  const withCanary = () =>
    store({ pods: [pod("a"), pod("b"), pod("c", { track: "canary" }), pod("d", { track: "canary", ready: false })] });

  it("getTrack gives each track's figures; the stable observation is what it is without a canary", () => {
    const alone = store({ pods: [pod("a"), pod("b")] });
    const { s } = withCanary();
    for (const x of [alone.s, s]) {
      x.receive(
        sender(pod("a")),
        classified(
          [
            [8, 2],
            [0, 10],
          ],
          40,
          1,
        ),
      );
      x.receive(
        sender(pod("b")),
        classified(
          [
            [5, 0],
            [0, 5],
          ],
          10,
          0,
        ),
      );
    }
    s.receive(
      sender(pod("c", { track: "canary" })),
      classified(
        [
          [1, 9],
          [9, 1],
        ],
        50,
        5,
      ),
    );
    // Not ready: its counts are left out, as a stable pod's would be.
    s.receive(
      sender(pod("d", { track: "canary", ready: false })),
      classified(
        [
          [100, 0],
          [0, 100],
        ],
        200,
        0,
      ),
    );
    alone.s.tick();
    s.tick();
    expect(s.get("ml/churn")).toEqual(alone.s.get("ml/churn"));
    expect(s.getTrack("ml/churn", "stable")).toMatchObject({
      pods: 2,
      feedback: 30,
      correct: 28,
      requests: 50,
      errors: 1,
    });
    expect(s.getTrack("ml/churn", "canary")).toMatchObject({
      pods: 1,
      feedback: 20,
      correct: 2,
      requests: 50,
      errors: 5,
    });
    expect(alone.s.getTrack("ml/churn", "canary")).toBeUndefined();
  });

  it("a canary's first counts show at once; later changes of either track enqueue while it pushes", () => {
    const { s, changed } = withCanary();
    s.receive(
      sender(pod("a")),
      classified([
        [1, 0],
        [0, 1],
      ]),
    );
    expect(changed).toEqual(["ml/churn"]);
    s.receive(
      sender(pod("c", { track: "canary" })),
      classified([
        [1, 0],
        [0, 0],
      ]),
    );
    expect(s.getTrack("ml/churn", "canary")).toMatchObject({ feedback: 1, correct: 1 });
    expect(changed).toEqual(["ml/churn", "ml/churn"]);
    s.tick();
    expect(changed.length).toBe(2); // nothing new
    // The stable track's serving counts are not in status.monitoring; they change the canary's judge all the same.
    s.receive(
      sender(pod("a")),
      classified(
        [
          [1, 0],
          [0, 1],
        ],
        7,
        0,
      ),
    );
    s.tick();
    expect(changed.length).toBe(3);
    expect(s.getTrack("ml/churn", "stable")?.requests).toBe(7);
  });

  it("without a canary, stable serving counts alone do not enqueue (status.monitoring does not show them)", () => {
    const { s, changed } = store();
    s.receive(
      sender(pod("a")),
      classified(
        [
          [1, 0],
          [0, 1],
        ],
        5,
        0,
      ),
    );
    const before = changed.length;
    s.receive(
      sender(pod("a")),
      classified(
        [
          [1, 0],
          [0, 1],
        ],
        9,
        0,
      ),
    );
    s.tick();
    expect(changed.length).toBe(before);
    expect(s.getTrack("ml/churn", "stable")?.requests).toBe(9);
  });

  it("a canary pod that stops pushing drops out of the canary's figures", () => {
    const { s, world } = withCanary();
    s.receive(
      sender(pod("a")),
      classified([
        [1, 0],
        [0, 1],
      ]),
    );
    s.receive(
      sender(pod("c", { track: "canary" })),
      classified([
        [1, 0],
        [0, 0],
      ]),
    );
    world.clock = 31_000;
    s.receive(
      sender(pod("a")),
      classified([
        [1, 0],
        [0, 1],
      ]),
    );
    s.tick();
    expect(s.getTrack("ml/churn", "canary")).toBeUndefined();
    expect(s.getTrack("ml/churn", "stable")).toBeDefined();
  });

  it("liftoff_modeldeployment_track_accuracy: one series per track with feedback, gone with the ModelDeployment", async () => {
    const metrics = createOperatorMetrics();
    const { s, world } = store({ metrics, pods: [pod("a"), pod("c", { track: "canary" })] });
    const series = async () =>
      (await metrics.trackAccuracy.get()).values.map((v) => `${v.labels.track}=${v.value}`).sort();
    s.receive(
      sender(pod("a")),
      classified([
        [3, 1],
        [0, 4],
      ]),
    );
    s.receive(
      sender(pod("c", { track: "canary" })),
      classified([
        [1, 0],
        [0, 1],
      ]),
    );
    s.tick();
    expect(await series()).toEqual(["canary=1", "stable=0.875"]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('liftoff_modeldeployment_track_accuracy{namespace="ml",name="churn",track="stable"} 0.875');
    world.pods = [pod("a")]; // the canary is gone
    s.tick();
    expect(await series()).toEqual(["stable=0.875"]);
    // A replica that stops leading drops its series (the new leader exports them).
    await s.stop();
    expect(await series()).toEqual([]);
    s.start();
    s.receive(
      sender(pod("a")),
      classified([
        [3, 1],
        [0, 4],
      ]),
    );
    expect(await series()).toEqual(["stable=0.875"]);
    world.mdeps = [];
    s.tick();
    expect(await series()).toEqual([]);
  });

  it("finding: a pod relabelled to another track is refused (its Deployment names its track, not its label)", () => {
    const { s } = withCanary();
    // A stable pod (Deployment churn-predictor) whose label was edited to canary: it must not vote for the canary.
    const relabelled = {
      ...sender(pod("a")),
      pod: { ...sender(pod("a")).pod, labels: { ...pod("a").metadata?.labels, "liftoff.dev/track": "canary" } },
    };
    expect(
      rejection(() =>
        s.receive(
          relabelled,
          classified([
            [9, 0],
            [0, 9],
          ]),
        ),
      ),
    ).toBe(403);
    expect(s.getTrack("ml/churn", "canary")).toBeUndefined();
  });
});
