import { describe, expect, it } from "vitest";
import { digitsSearch } from "../chart/search-fixtures.js";
import { buildTrees, contains, shortDigest, type TreeNode, walk, worstNode } from "./build.js";
import { NOW, penguins } from "./fixtures.js";
import { renderForest, renderTree, treeData } from "./render.js";
import { liftoffState, podState } from "./state.js";

const shape = (n: TreeNode): unknown => [`${n.kind}/${n.name}`, n.state, n.children.map(shape)];
const plain = { color: false };

describe("the lineage tree", () => {
  it("links DataSet → TrainingJobs → ModelDeployment → stable and canary tracks → Deployments → pods", () => {
    const trees = buildTrees(penguins(), NOW);
    expect(trees).toHaveLength(1);
    expect(shape(trees[0] as TreeNode)).toEqual([
      "DataSet/penguins",
      "Ready",
      [
        [
          "TrainingJob/penguins",
          "Ready",
          [
            [
              "ModelDeployment/penguins",
              "Ready",
              [
                [
                  "Track/stable",
                  "Ready",
                  [["Deployment/penguins-predictor", "Ready", [["Pod/penguins-predictor-abc", "Ready", []]]]],
                ],
                [
                  "Track/canary",
                  "Ready",
                  [["Deployment/penguins-canary", "Ready", [["Pod/penguins-canary-def", "Ready", []]]]],
                ],
              ],
            ],
          ],
        ],
        ["TrainingJob/penguins-v2", "Ready", []],
      ],
    ]);
    const t = trees[0] as TreeNode;
    expect(t.digest).toBe(`sha256:${"a1".repeat(6)}`);
    expect(t.info).toContain("rows 333");
    const canary = walk(t).find((n) => n.kind === "Track" && n.name === "canary");
    expect(canary?.digest).toBe(`sha256:${"c3".repeat(6)}`);
    expect(canary?.info).toBe("model trainingjob/penguins-v2, traffic 20%");
    expect(walk(t).find((n) => n.kind === "Pod")?.age).toBe("10m");
    for (const [kind, name] of [
      ["DataSet", "penguins"],
      ["TrainingJob", "penguins-v2"],
      ["ModelDeployment", "penguins"],
    ] as const) {
      expect(contains(t, kind, name)).toBe(true);
    }
  });

  it("links a canary named by URI to the TrainingJob whose artifact it is", () => {
    const snap = penguins();
    const m = snap.modeldeployments[0];
    if (!m) throw new Error("fixture");
    m.spec.canary.model = { uri: "pvc://liftoff-data/models/penguins-v2" };
    const canary = walk(buildTrees(snap, NOW)[0] as TreeNode).find((n) => n.kind === "Track" && n.name === "canary");
    expect(canary?.digest).toBe(`sha256:${"c3".repeat(6)}`);
    expect(canary?.info).toBe("model trainingjob/penguins-v2 (by uri), traffic 20%");
  });

  it("names the failing node first, with its reason, message and hint", () => {
    const snap = penguins();
    const ds = snap.datasets[0];
    if (!ds) throw new Error("fixture");
    ds.status.conditions = [
      { type: "Ready", status: "False", reason: "JobFailed", message: "prepare exited 1" },
      { type: "Failed", status: "True", reason: "JobFailed", message: "prepare exited 1" },
    ];
    const tj = snap.trainingjobs[0];
    if (!tj) throw new Error("fixture");
    tj.status.conditions = [
      { type: "Ready", status: "False", reason: "DataSetNotReady", message: "DataSet penguins is not Ready" },
      { type: "Reconciling", status: "True", reason: "DataSetNotReady" },
    ];
    const tree = buildTrees(snap, NOW)[0] as TreeNode;
    expect(worstNode(tree)?.name).toBe("penguins");
    expect(worstNode(tree)?.kind).toBe("DataSet");
    const lines = renderTree(plain, tree);
    expect(lines[0]).toMatch(/^✖ dataset\/penguins: JobFailed — prepare exited 1 \(hint: the prepare job failed/);
    expect(lines.find((l) => l.includes("trainingjob/penguins ")) ?? "").toContain("◌ Reconciling");
  });

  it("draws the tree with box-drawing branches and, with -o wide, the uri, node and IP", () => {
    const tree = buildTrees(penguins(), NOW)[0] as TreeNode;
    const lines = renderTree(plain, tree, { wide: true });
    expect(lines[0]).toBe("✔ dataset/penguins: all 10 nodes Ready");
    expect(lines[2]).toMatch(/^NAME\s+STATE\s+DIGEST\s+AGE\s+URI\s+NODE\s+IP\s+INFO$/);
    expect(lines[3]).toMatch(/^dataset\/penguins\s+✔ Ready\s+sha256:a1a1a1a1a1a1\s+10m\s+/);
    expect(lines.some((l) => l.startsWith("├── trainingjob/penguins "))).toBe(true);
    expect(lines.some((l) => l.startsWith("│   └── modeldeployment/penguins "))).toBe(true);
    expect(lines.some((l) => /^│ {7}├── track\/stable /.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith("└── trainingjob/penguins-v2 "))).toBe(true);
    expect(lines.find((l) => l.includes("pod/penguins-canary-def"))).toMatch(/node-1\s+10\.0\.0\.7/);
    expect(lines.join("\n")).not.toContain("\u001b[");
    expect(renderTree({ color: true }, tree).join("\n")).toContain("\u001b[32m✔");
  });

  it("with -A adds the NAMESPACE column, one summary line per tree and one table", () => {
    const a = buildTrees(penguins(), NOW)[0] as TreeNode;
    const b = { ...a, namespace: "other", children: [] };
    const lines = renderForest(plain, [a, b], { namespaces: true });
    expect(lines.slice(0, 2)).toEqual([
      "✔ dataset/penguins: all 10 nodes Ready",
      "✔ dataset/penguins: all 1 nodes Ready",
    ]);
    expect(lines[3]).toMatch(/^NAMESPACE\s+NAME\s+STATE/);
    expect(lines.filter((l) => /^(demo|other)\s+dataset\/penguins\s/.test(l))).toHaveLength(2);
  });

  it("gives -o json the nodes as data", () => {
    const data = treeData(buildTrees(penguins(), NOW)[0] as TreeNode) as { kind: string; children: unknown[] };
    const json = JSON.parse(JSON.stringify(data));
    expect(json).toMatchObject({ kind: "DataSet", name: "penguins", namespace: "demo", state: "Ready", age: "10m" });
    expect(json.children[0].children[0]).toMatchObject({ kind: "ModelDeployment", digest: `sha256:${"b2".repeat(6)}` });
  });

  it("puts an object whose parent is missing under a Missing placeholder, and keeps other roots apart", () => {
    const snap = penguins();
    const orphan = structuredClone(snap.trainingjobs[0]) as (typeof snap.trainingjobs)[number];
    orphan.metadata.name = "orphan";
    orphan.spec.dataSetRef.name = "gone";
    const trees = buildTrees({ ...snap, trainingjobs: [...snap.trainingjobs, orphan] }, NOW);
    expect(trees.map((t) => `${t.kind}/${t.name}:${t.state}`)).toEqual([
      "DataSet/gone:Missing",
      "DataSet/penguins:Ready",
    ]);
    expect(renderForest(plain, trees)[0]).toMatch(
      /^✖ dataset\/gone: NotFound — DataSet gone does not exist \(named by trainingjob\/orphan\)/,
    );
  });

  it("shows a closed loop's stage and its <mdep>-loop-<n> children under the ModelDeployment", () => {
    const snap = penguins();
    const m = snap.modeldeployments[0];
    if (!m) throw new Error("fixture");
    delete m.spec.canary;
    delete m.status.canary;
    m.spec.retrain = { triggers: { degraded: true } };
    m.status.loop = { stage: "Retraining", iteration: 2, trigger: { reason: "Manual" } };
    const loopDs = structuredClone(snap.datasets[0]) as (typeof snap.datasets)[number];
    loopDs.metadata.name = "penguins-loop-2";
    loopDs.metadata.labels = { "liftoff.dev/loop": "penguins" };
    const loopTj = structuredClone(snap.trainingjobs[0]) as (typeof snap.trainingjobs)[number];
    loopTj.metadata.name = "penguins-loop-2";
    loopTj.metadata.labels = { "liftoff.dev/loop": "penguins" };
    loopTj.spec.dataSetRef.name = "penguins-loop-2";
    const trees = buildTrees(
      {
        ...snap,
        datasets: [...snap.datasets, loopDs],
        trainingjobs: [...snap.trainingjobs, loopTj],
        deployments: snap.deployments.slice(0, 1),
        pods: snap.pods.slice(0, 1),
      },
      NOW,
    );
    expect(trees).toHaveLength(1);
    const loop = walk(trees[0] as TreeNode).find((n) => n.kind === "Loop");
    expect(loop?.state).toBe("Progressing");
    expect(loop?.info).toBe("stage Retraining, iteration 2, trigger Manual");
    expect(shape(loop as TreeNode)).toEqual([
      "Loop/penguins",
      "Progressing",
      [["DataSet/penguins-loop-2", "Ready", [["TrainingJob/penguins-loop-2", "Ready", []]]]],
    ]);
  });
});

/** The penguins lineage plus the digits DataSet, the example search over it (12 trials) and a deployment serving it. */
function withSearch(opts: { finished?: boolean; mdep?: boolean } = {}) {
  const snap = penguins();
  const { search, jobs } = digitsSearch();
  const digits = structuredClone(snap.datasets[0]) as (typeof snap.datasets)[number];
  digits.metadata.name = "digits";
  digits.status.rows = { read: 1797, dropped: 0, total: 1797, train: 1257, validation: 270, test: 270 };
  if (opts.finished) {
    // the failed trial's failure is the search's to count; here all ran, so the tree is all Ready or stopped
    jobs.pop();
    search.status.trialRecords.pop();
    search.status.trials = { total: 11, running: 0, stoppedEarly: 4, succeeded: 7, failed: 0 };
    search.status.phase = "Succeeded";
    search.status.conditions = [{ type: "Ready", status: "True", reason: "Succeeded", message: "" }];
    search.status.model = {
      trainingJob: "digits-search-2",
      uri: "pvc://liftoff-data/models/digits-search-2",
      digest: `sha256:${"d4".repeat(32)}`,
    };
    const running = jobs[10];
    if (!running) throw new Error("fixture");
    running.status.phase = "Succeeded";
    running.status.conditions = [{ type: "Ready", status: "True", reason: "Succeeded", message: "" }];
    for (const j of jobs.filter((j) => j.status.phase === "Succeeded")) {
      j.status.model = { uri: `pvc://liftoff-data/models/${j.metadata.name}`, digest: `sha256:${"d4".repeat(32)}` };
    }
  }
  const mdep = {
    metadata: { name: "digits", namespace: "demo", creationTimestamp: "2026-12-06T11:50:00Z" },
    // spec.model.trainingSearchRef: read as data (the field may be newer than the plugin's types)
    spec: { model: { trainingSearchRef: { name: "digits-search" } }, replicas: 1 },
    status: { conditions: [{ type: "Ready", status: "True", reason: "Available" }] },
  };
  const dep = structuredClone(snap.deployments[0]) as (typeof snap.deployments)[number];
  dep.metadata.name = "digits-predictor";
  dep.metadata.labels = { "liftoff.dev/modeldeployment": "digits" };
  const pod = structuredClone(snap.pods[0]) as (typeof snap.pods)[number];
  pod.metadata.name = "digits-predictor-abc";
  pod.metadata.labels = { "liftoff.dev/modeldeployment": "digits", "liftoff.dev/track": "stable" };
  return {
    ...snap,
    deployments: [...snap.deployments, ...(opts.mdep ? [dep] : [])],
    pods: [...snap.pods, ...(opts.mdep ? [pod] : [])],
    datasets: [...snap.datasets, digits],
    trainingjobs: [...snap.trainingjobs, ...jobs],
    trainingsearches: [search],
    modeldeployments: [...snap.modeldeployments, ...(opts.mdep ? [mdep] : [])],
  };
}

describe("a TrainingSearch in the tree", () => {
  it("hangs under its template's DataSet with its trials by index and the deployment that names it", () => {
    const trees = buildTrees(withSearch({ finished: true, mdep: true }), NOW);
    expect(trees.map((t) => t.name)).toEqual(["digits", "penguins"]);
    const digits = trees[0] as TreeNode;
    expect(digits.children.map((c) => `${c.kind}/${c.name}`)).toEqual(["TrainingSearch/digits-search"]);
    const search = digits.children[0] as TreeNode;
    expect(search.state).toBe("Ready");
    expect(search.digest).toBe(`sha256:${"d4".repeat(6)}`);
    expect(search.info).toMatch(
      /^Succeeded, 11\/16 trials: 0 running, 4 stopped early, 7 done, 0 failed, best val_accuracy 0\.97\d* \(digits-search-2\)$/,
    );
    expect(search.children.map((c) => c.name)).toEqual([
      ...Array.from({ length: 11 }, (_, i) => `digits-search-${i}`),
      "digits",
    ]);
    const trial = (i: number) => search.children[i] as TreeNode;
    expect(trial(2).info).toMatch(/^trial 2 ★ best, Succeeded/);
    expect(trial(5).state).toBe("Stopped");
    expect(trial(5).reason).toBe("StoppedEarly");
    expect(trial(5).message).toMatch(/^median at epoch 3/);
    expect(trial(5).hint).toBeUndefined();
    const mdep = search.children.at(-1) as TreeNode;
    expect(mdep.kind).toBe("ModelDeployment");
    const stable = mdep.children.find((c) => c.name === "stable");
    expect(stable?.info).toBe("model trainingsearch/digits-search (best trial digits-search-2), traffic 100%");
    expect(stable?.digest).toBe(`sha256:${"d4".repeat(6)}`);
    // trials are not listed again under the DataSet; a stopped trial is no fault
    expect(digits.children).toHaveLength(1);
    const lines = renderTree(plain, digits);
    expect(lines[0]).toBe("✔ dataset/digits: all 17 nodes Ready (4 stopped early)");
    expect(lines.find((l) => l.includes("trainingjob/digits-search-5 "))).toMatch(/■ Stopped .* StoppedEarly: trial 5/);
    expect(contains(digits, "TrainingSearch", "digits-search")).toBe(true);
  });

  it("names a failed trial first, and says a deployment waits while the search has no result", () => {
    const tree = buildTrees(withSearch({ mdep: true }), NOW)[0] as TreeNode;
    expect(worstNode(tree)).toMatchObject({ kind: "TrainingJob", name: "digits-search-11", state: "Failed" });
    const stable = walk(tree).find((n) => n.kind === "Track" && n.name === "stable");
    expect(stable?.info).toBe("model trainingsearch/digits-search (no result yet), traffic 100%");
  });

  it("puts a deployment whose search is gone under a Missing search", () => {
    const snap = withSearch({ mdep: true });
    const trees = buildTrees({ ...snap, trainingsearches: [] }, NOW);
    const gone = trees.find((t) => t.kind === "TrainingSearch");
    expect(gone).toMatchObject({ name: "digits-search", state: "Missing" });
    expect(gone?.children.map((c) => c.name)).toEqual(["digits"]);
    // without their search, the trials are TrainingJobs of their DataSet like any other
    const digits = trees.find((t) => t.name === "digits" && t.kind === "DataSet");
    expect(digits?.children).toHaveLength(12);
  });
});

describe("node states", () => {
  it("reads kstatus conditions worst first", () => {
    expect(liftoffState(undefined).state).toBe("Unknown");
    expect(
      liftoffState([
        { type: "Ready", status: "True" },
        { type: "Drifted", status: "True", reason: "DriftDetected" },
      ]),
    ).toEqual({
      state: "Drifted",
      reason: "DriftDetected",
    });
    expect(
      liftoffState([
        { type: "Ready", status: "False", reason: "CrashLoopBackOff", message: "pod x" },
        { type: "Stalled", status: "True", reason: "CrashLoopBackOff" },
      ]),
    ).toEqual({ state: "Stalled", reason: "CrashLoopBackOff", message: "pod x" });
    expect(
      liftoffState([
        { type: "Ready", status: "False", reason: "RolloutInProgress" },
        { type: "Progressing", status: "True" },
      ]).state,
    ).toBe("Progressing");
  });

  it("sees a crash-looping pod as Failed with its restarts", () => {
    const s = podState({
      status: {
        phase: "Running",
        containerStatuses: [
          {
            restartCount: 4,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off" } },
            lastState: { terminated: { reason: "Error", exitCode: 1 } },
          },
        ],
      },
    });
    expect(s).toEqual({
      state: "Failed",
      reason: "CrashLoopBackOff",
      message: "back-off (last exit: Error, code 1)",
      restarts: 4,
    });
  });

  it("shortens digests as the MODEL column does", () => {
    expect(shortDigest(`sha256:${"0123456789ab".repeat(5)}abcd`)).toBe("sha256:0123456789ab");
    expect(shortDigest(undefined)).toBeUndefined();
  });
});
