/**
 * npm run bench:search — a TrainingSearch (issue #33) on the local cluster against Optuna in one process: a random
 * search of BENCH_SEARCH_TRIALS trials on scikit-learn's bundled 8×8 digits (1 797 × 64, prepared on the cluster by
 * a DataSet from the same CSV and split as bench:train's), each trial a TrainingJob pod training a dense model
 * (dense(units, ReLU) → dropout(rate) → softmax head) for BENCH_SEARCH_EPOCHS epochs, over learningRate
 * (log-uniform 1e-4…0.1), batchSize (16, 32, 64, 128), units (log-uniform int 16…256), dropout (0…0.5) and
 * optimizer (adam, sgd, rmsprop); objective val_accuracy, maximised.
 *
 * 1. Scaling: the search at each parallelism of BENCH_SEARCH_PARALLELISM, every trial run to its last epoch (or with
 *    BENCH_SEARCH_SCALING_RULE's early stopping): wall time from create to status.phase Succeeded. This machine has
 *    2 cores (shared), so the line flattens past parallelism 2: that is the machine's limit, not the search's.
 * 2. Early stopping: each rule against the same trials (same seed, so the same parameters) run to the end
 *    (no earlyStopping), at parallelism BENCH_SEARCH_COMPARE_PARALLELISM: compute saved = 1 − epochsTrained with /
 *    epochsTrained without (status.epochsTrained: the epochs each trial had reported when it ended or was stopped),
 *    and the trial pods' running seconds (polled) as a second measure; best val_accuracy (target: ≥ 50 % saved,
 *    best within 0.5 points).
 * 3. Optuna (hack/optuna-venv.sh, bench/search_optuna.py): the same space, trials and epochs with RandomSampler and
 *    its own pruner of each kind (MedianPruner, SuccessiveHalvingPruner) and none, trials one after the other in one
 *    process, a PyTorch MLP of the same shape on one thread; side by side with the TrainingSearch.
 *
 * Knobs: BENCH_SEARCH_CLUSTER=bench (started if not running; LIFTOFF_PORT_BASE moves its ports)
 *        BENCH_SEARCH_TRIALS=16  BENCH_SEARCH_EPOCHS=27  BENCH_SEARCH_PARALLELISM=1,2,4
 *        BENCH_SEARCH_RULES=successiveHalving,median  BENCH_SEARCH_COMPARE_PARALLELISM=2  BENCH_SEARCH_SEED=0
 *        BENCH_SEARCH_MIN_EPOCHS=1  BENCH_SEARCH_STARTUP_TRIALS=5  BENCH_SEARCH_REDUCTION_FACTOR=3
 *        BENCH_SEARCH_SCALING_RULE=none (or successiveHalving, median)  BENCH_SEARCH_OPTUNA=1 (0 leaves Optuna out)
 *        BENCH_SEARCH_PROGRESS_INTERVAL_S=1 (the operator's --progress-interval: how often trials report their epochs)
 *        BENCH_SEARCH_TIMEOUT_S=1800 (per search)
 * Quick: BENCH_SEARCH_TRIALS=6 BENCH_SEARCH_EPOCHS=9 BENCH_SEARCH_PARALLELISM=2 BENCH_SEARCH_RULES=successiveHalving
 * Needs runtime/dist (npm run build:runtime: the cluster's pods run it).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
const { CoreV1Api, CustomObjectsApi, KubeConfig } = await import("@kubernetes/client-node");
const { benchOperator, until: untilDone } = await import("./lib/bench-operator.js");
const { claimHostFolder } = await import("../devcluster/node-agent/claim-folder.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { preparedDigits } = await import("./lib/digits.js");
const { searchSpec, SPACE } = await import("./lib/search-spec.js");
const { digitsDataSet } = await import("./lib/digits.js");
const { PodClock } = await import("./lib/pod-clock.js");
const { checkpointEpochs } = await import("./lib/trial-epochs.js");

const REPO = path.resolve(import.meta.dirname, "..");
const WORK = path.join(REPO, ".liftoff", "bench-search");
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const int = (name: string, fallback: string, min: number): number => {
  const v = Number(env(name, fallback));
  if (!Number.isInteger(v) || v < min) throw new Error(`bench:search: ${name} must be an integer ≥ ${min}`);
  return v;
};
const CLUSTER = env("BENCH_SEARCH_CLUSTER", "bench");
const TRIALS = int("BENCH_SEARCH_TRIALS", "16", 1);
const EPOCHS = int("BENCH_SEARCH_EPOCHS", "27", 1);
const PARALLELISM = env("BENCH_SEARCH_PARALLELISM", "1,2,4").split(",").filter(Boolean).map(Number);
const RULES = env("BENCH_SEARCH_RULES", "successiveHalving,median").split(",").filter(Boolean);
const SCALING_RULE = env("BENCH_SEARCH_SCALING_RULE", "none");
const COMPARE_P = int("BENCH_SEARCH_COMPARE_PARALLELISM", "2", 1);
const SEED = int("BENCH_SEARCH_SEED", "0", 0);
const MIN_EPOCHS = int("BENCH_SEARCH_MIN_EPOCHS", "1", 1);
const STARTUP = int("BENCH_SEARCH_STARTUP_TRIALS", "5", 1);
const ETA = int("BENCH_SEARCH_REDUCTION_FACTOR", "3", 2);
const OPTUNA = env("BENCH_SEARCH_OPTUNA", "1") !== "0";
const PROGRESS_S = int("BENCH_SEARCH_PROGRESS_INTERVAL_S", "1", 1);
const TIMEOUT_MS = int("BENCH_SEARCH_TIMEOUT_S", "1800", 10) * 1000;
for (const r of [...RULES, ...(SCALING_RULE === "none" ? [] : [SCALING_RULE])]) {
  if (r !== "median" && r !== "successiveHalving") throw new Error(`bench:search: unknown rule ${r}`);
}
if (PARALLELISM.some((p) => !Number.isInteger(p) || p < 1))
  throw new Error("bench:search: bad BENCH_SEARCH_PARALLELISM");
const log = (m: string) => process.stderr.write(`bench:search: ${m}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number | undefined) => (x === undefined ? "—" : (100 * x).toFixed(2));

type Rule = "median" | "successiveHalving";
const scalingRule = SCALING_RULE === "none" ? undefined : (SCALING_RULE as Rule);
interface SearchRun {
  name: string;
  parallelism: number;
  rule?: Rule;
  wallMs: number;
  phase: string;
  /** status.epochsTrained: the epochs each trial had reported. */
  epochsTrained: number;
  /** The epochs the trials' pods ran: a stopped trial's from its newest checkpoint (bench/lib/trial-epochs.ts). */
  epochsRun: number;
  podSeconds: number;
  trials: { total: number; stoppedEarly: number; succeeded: number; failed: number };
  best?: { trial: string; objective: number; parameters: Record<string, string>; testAccuracy?: number };
}
interface OptunaRun {
  pruner: string;
  wallSeconds: number;
  epochsTrained: number;
  pruned: number;
  failed: number;
  best?: { value: number; testAccuracy: number; parameters: Record<string, unknown> };
}

const api = (kc: InstanceType<typeof KubeConfig>) => kc.makeApiClient(CustomObjectsApi);
const crd = (ns: string, plural: string) => ({ group: "liftoff.dev", version: "v1alpha1", namespace: ns, plural });

const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500) =>
  untilDone<T>("bench:search", what, f, timeoutMs, everyMs);

/** One TrainingSearch from create to its end; its trials are deleted with it afterwards (owner references). */
async function runSearch(
  kc: InstanceType<typeof KubeConfig>,
  ns: string,
  claimFolder: string,
  name: string,
  parallelism: number,
  rule: Rule | undefined,
): Promise<SearchRun> {
  const core = kc.makeApiClient(CoreV1Api);
  const spec = searchSpec({
    trials: TRIALS,
    epochs: EPOCHS,
    parallelism,
    seed: SEED,
    ...(rule ? { earlyStopping: { rule, minEpochs: MIN_EPOCHS, startupTrials: STARTUP, reductionFactor: ETA } } : {}),
  });
  const clock = new PodClock(core, ns, name);
  const started = performance.now();
  await api(kc).createNamespacedCustomObject({
    ...crd(ns, "trainingsearches"),
    body: { apiVersion: "liftoff.dev/v1alpha1", kind: "TrainingSearch", metadata: { name, namespace: ns }, spec },
  });
  let last = "";
  // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
  const done = await until<any>(
    `TrainingSearch ${name} to end`,
    async () => {
      // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
      const s = (await api(kc).getNamespacedCustomObject({ ...crd(ns, "trainingsearches"), name })) as any;
      const t = s.status?.trials;
      const line = t
        ? `${name}: ${t.total}/${TRIALS} trials, ${t.running} running, ${t.succeeded} done, ${t.stoppedEarly} stopped early, ${t.failed} failed; best ${s.status?.best?.objective ?? "—"}`
        : "";
      if (line && line !== last) {
        last = line;
        log(line);
      }
      return s.status?.phase === "Succeeded" || s.status?.phase === "Failed" ? s : undefined;
    },
    TIMEOUT_MS,
    250,
  );
  const wallMs = performance.now() - started;
  clock.stop();
  const best = done.status?.best;
  let testAccuracy: number | undefined;
  if (best?.trial) {
    // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
    const tj = (await api(kc).getNamespacedCustomObject({ ...crd(ns, "trainingjobs"), name: best.trial })) as any;
    testAccuracy = tj.status?.finalMetrics?.accuracy;
  }
  // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
  const records: any[] = done.status.trialRecords ?? [];
  const ran = (r: { name: string; state: string; epochs: number }) =>
    r.state === "Succeeded" ? r.epochs : Math.max(r.epochs, checkpointEpochs(claimFolder, r.name) ?? 0);
  const run: SearchRun = {
    name,
    parallelism,
    ...(rule ? { rule } : {}),
    wallMs,
    phase: done.status.phase,
    epochsTrained: done.status.epochsTrained ?? 0,
    epochsRun: records.reduce((n, r) => n + ran(r), 0),
    podSeconds: clock.seconds(),
    trials: done.status.trials,
    ...(best
      ? {
          best: {
            trial: best.trial,
            objective: best.objective,
            parameters: best.parameters,
            ...(testAccuracy !== undefined ? { testAccuracy } : {}),
          },
        }
      : {}),
  };
  log(
    `${name}: ${done.status.phase} in ${secs(wallMs)}; ${run.epochsTrained} epochs reported, ${run.epochsRun} run, ${run.podSeconds.toFixed(0)} pod-s; best ${pct(best?.objective)} % (${JSON.stringify(best?.parameters ?? {})})`,
  );
  for (const r of records) {
    log(
      `  ${r.name} ${r.state} ${r.epochs} epochs (${ran(r)} run) ${r.objective ?? ""} ${JSON.stringify(r.parameters)} ${r.reason ?? ""}`,
    );
  }
  // Trials go with the search (garbage collector); the next search starts on a quiet cluster.
  await api(kc).deleteNamespacedCustomObject({ ...crd(ns, "trainingsearches"), name });
  await until(
    `${name}'s trial pods to go`,
    async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `liftoff.dev/trainingsearch=${name}` });
      return pods.items.length === 0 ? true : undefined;
    },
    120_000,
  );
  return run;
}

function optuna(py: string, data: string, pruner: string): OptunaRun {
  const cfg = {
    data,
    trials: TRIALS,
    epochs: EPOCHS,
    seed: SEED,
    pruner,
    minEpochs: MIN_EPOCHS,
    startupTrials: STARTUP,
    reductionFactor: ETA,
    space: SPACE,
  };
  const out = execFileSync(py, [path.join(REPO, "bench/search_optuna.py"), JSON.stringify(cfg)], {
    cwd: path.join(REPO, "bench"),
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
  const run: OptunaRun = {
    pruner,
    wallSeconds: r.wallSeconds,
    epochsTrained: r.epochsTrained,
    pruned: r.pruned,
    failed: (r.trials as { state: string }[]).filter((t) => t.state === "FAIL").length,
    ...(r.best
      ? { best: { value: r.best.value, testAccuracy: r.best.testAccuracy, parameters: r.best.parameters } }
      : {}),
  };
  log(
    `optuna ${pruner}: ${r.wallSeconds.toFixed(1)} s, ${r.epochsTrained} epochs, ${r.pruned} pruned, best ${pct(run.best?.value)} %`,
  );
  return run;
}

/** 1 − with / without, as a whole percentage ("0 %", never "-0 %"). */
const saved = (with_: number, without: number) =>
  without > 0 ? `${Math.round(100 * (1 - with_ / without)) + 0} %` : "—";

function tables(searches: SearchRun[], full: SearchRun | undefined, peers: OptunaRun[]): string[] {
  const lines: string[] = [];
  const scaling = searches.filter((s) => s.rule === scalingRule && PARALLELISM.includes(s.parallelism));
  const one = scaling.find((s) => s.parallelism === 1);
  if (scaling.length > 0) {
    lines.push(
      `Scaling: ${TRIALS} trials × ${EPOCHS} epochs, early stopping: ${scalingRule ?? "none (every trial to its last epoch)"}, on this machine's 2 cores (the line flattens past 2: the machine's limit, not the search's):`,
      "",
      "| parallelism | wall time | speed-up vs 1 | trials stopped early | epochs reported / run | trial pod-seconds | best val_accuracy % |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...scaling.map(
        (s) =>
          `| ${s.parallelism} | ${secs(s.wallMs)} | ${one ? `${(one.wallMs / s.wallMs).toFixed(2)}×` : "—"} | ${s.trials.stoppedEarly} | ${s.epochsTrained} / ${s.epochsRun} | ${s.podSeconds.toFixed(0)} | ${pct(s.best?.objective)} |`,
      ),
      "",
    );
  }
  if (full) {
    const rows = [full, ...RULES.flatMap((r) => searches.filter((s) => s.rule === r && s.parallelism === COMPARE_P))];
    lines.push(
      `Early stopping against the same ${TRIALS} trials run to the end (parallelism ${COMPARE_P}; saved = 1 − epochs with / epochs without; target ≥ 50 % saved, best within 0.5 points):`,
      "",
      "| run | best val_accuracy % | Δ best (points) | its test accuracy % | epochsTrained (reported) | compute saved | epochs run (checkpoints) | saved | trial pod-seconds | saved | stopped early | failed | wall time |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows.map(
        (s) =>
          `| ${s.rule ?? "to the end"} | ${pct(s.best?.objective)} | ${s === full ? "—" : (100 * ((s.best?.objective ?? 0) - (full.best?.objective ?? 0))).toFixed(2)} | ${pct(s.best?.testAccuracy)} | ${s.epochsTrained} | ${s === full ? "—" : saved(s.epochsTrained, full.epochsTrained)} | ${s.epochsRun} | ${s === full ? "—" : saved(s.epochsRun, full.epochsRun)} | ${s.podSeconds.toFixed(0)} | ${s === full ? "—" : saved(s.podSeconds, full.podSeconds)} | ${s.trials.stoppedEarly} | ${s.trials.failed} | ${secs(s.wallMs)} |`,
      ),
      "",
    );
  }
  if (peers.length > 0) {
    const none = peers.find((p) => p.pruner === "none");
    const ours = (pruner: string) =>
      pruner === "none" ? full : searches.find((s) => s.rule === pruner && s.parallelism === COMPARE_P);
    lines.push(
      `Side by side with Optuna (RandomSampler seed ${SEED}, its own pruner of the same kind, trials one after the other in one process, PyTorch MLP on one thread) — the TrainingSearch at parallelism ${COMPARE_P}:`,
      "",
      "| pruner | best val_accuracy % Liftoff / Optuna | test accuracy of the best % Liftoff / Optuna | wall time Liftoff / Optuna | trials stopped / pruned | epochs trained Liftoff / Optuna | saved Liftoff / Optuna |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...peers.map((p) => {
        const s = ours(p.pruner);
        const optunaSaved = none && p !== none ? saved(p.epochsTrained, none.epochsTrained) : "—";
        const ourSaved = s && full && s !== full ? saved(s.epochsTrained, full.epochsTrained) : "—";
        return `| ${p.pruner === "none" ? "none (to the end)" : p.pruner} | ${pct(s?.best?.objective)} / ${pct(p.best?.value)} | ${pct(s?.best?.testAccuracy)} / ${pct(p.best?.testAccuracy)} | ${s ? secs(s.wallMs) : "—"} / ${p.wallSeconds.toFixed(1)} s | ${s?.trials.stoppedEarly ?? "—"} / ${p.pruned} | ${s?.epochsTrained ?? "—"} / ${p.epochsTrained} | ${ourSaved} / ${optunaSaved} |`;
      }),
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const run = startRun();
  if (!existsSync(path.join(REPO, "runtime/dist/main.js"))) {
    throw new Error("runtime/dist/main.js is missing and the cluster's pods run it: npm run build:runtime");
  }
  mkdirSync(WORK, { recursive: true });
  const py = execFileSync("bash", [path.join(REPO, "hack/optuna-venv.sh")], { stdio: ["ignore", "pipe", "inherit"] })
    .toString()
    .trim();
  // Prepared here for Optuna; its CSV goes to the cluster, whose DataSet prepares the same version (same digest).
  const local = preparedDigits(py, WORK, log);
  const peers = OPTUNA ? ["none", ...RULES].map((p) => optuna(py, local, p)) : [];

  const { kc, ns, op, teardown } = await benchOperator(CLUSTER, "search", PROGRESS_S, log);
  try {
    await op.leading;
    const folder = await claimHostFolder(kc, ns, "bench");
    mkdirSync(path.join(folder, "raw"), { recursive: true });
    copyFileSync(path.join(WORK, "digits", "raw", "digits.csv"), path.join(folder, "raw", "digits.csv"));
    await api(kc).createNamespacedCustomObject({
      ...crd(ns, "datasets"),
      body: {
        apiVersion: "liftoff.dev/v1alpha1",
        kind: "DataSet",
        metadata: { name: "digits", namespace: ns },
        spec: digitsDataSet("bench"),
      },
    });
    // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
    const ds = await until<any>(
      "DataSet digits Ready",
      async () => {
        // biome-ignore lint/suspicious/noExplicitAny: the custom object's JSON
        const d = (await api(kc).getNamespacedCustomObject({ ...crd(ns, "datasets"), name: "digits" })) as any;
        const ready = d.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
        if (
          d.status?.conditions?.find(
            (c: { type: string; status: string }) => c.type === "Failed" && c.status === "True",
          )
        ) {
          throw new Error(`DataSet digits failed: ${JSON.stringify(d.status.conditions)}`);
        }
        return ready?.status === "True" ? d : undefined;
      },
      180_000,
    );
    const digest = String(ds.status?.digest ?? ds.status?.version ?? "");
    log(`DataSet digits Ready (${digest}); Optuna reads ${path.basename(local)}`);

    const searches: SearchRun[] = [];
    const tag = (r: Rule | undefined) => (r ? r.toLowerCase() : "full");
    for (const p of PARALLELISM)
      searches.push(await runSearch(kc, ns, folder, `p${p}-${tag(scalingRule)}`, p, scalingRule));
    for (const r of RULES as Rule[]) {
      if (searches.some((s) => s.rule === r && s.parallelism === COMPARE_P)) continue;
      searches.push(await runSearch(kc, ns, folder, `p${COMPARE_P}-${tag(r)}`, COMPARE_P, r));
    }
    // The trials run to the end at the comparison's parallelism: the scaling run's, else one more search.
    const full =
      RULES.length === 0
        ? undefined
        : (searches.find((s) => s.rule === undefined && s.parallelism === COMPARE_P) ??
          (await runSearch(kc, ns, folder, `p${COMPARE_P}-full`, COMPARE_P, undefined)));
    const lines = [
      describeRun(
        run,
        `cluster "${CLUSTER}" (node agent: trial pods are local processes), Optuna ${optunaVersion(py)}`,
      ),
      "",
      ...tables(searches, full, peers),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await teardown();
  }
}

const optunaVersion = (py: string) =>
  execFileSync(py, ["-c", "import optuna, torch; print(optuna.__version__, '+ torch', torch.__version__)"])
    .toString()
    .trim();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:search: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
