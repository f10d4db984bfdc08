/**
 * npm run bench:distributed — a pytorch TrainingJob (issue #34) on the local cluster against the same script run by
 * plain torchrun on the host. The script is the sample, examples/pytorch/penguins_ddp.py (a DDP loop through the
 * liftoff package), with `--hidden BENCH_DISTRIBUTED_HIDDEN`, on scikit-learn's digits made bigger: the 1 797 real
 * rows BENCH_DISTRIBUTED_REPEAT times, the copies with seeded ±1 pixel noise (synthetic only for scale,
 * bench/lib/scaled-digits.ts), prepared on the cluster by an unencrypted DataSet (standardised, split 80/10/10), so
 * the version folder on the claim is plaintext and the by-hand run reads it directly.
 *
 * 1. Throughput: for each worker count N of BENCH_DISTRIBUTED_WORKERS, plain torchrun first
 *    (`python -m torch.distributed.run --nnodes 1 --nproc-per-node N` on the version folder, the LIFTOFF_TORCH_*
 *    variables set as the runtime sets them, runtime/src/train/pytorch/torchrun.ts scriptEnv, OMP_NUM_THREADS as the
 *    operator gives each worker), then a TrainingJob with spec.pytorch.workers N (one process each, resources.cpu
 *    BENCH_DISTRIBUTED_CPU). Samples/s is the script's own figure per epoch (samples / seconds of the epoch): the
 *    events file for torchrun, status.progress.samplesPerSecond (polled) for Liftoff; the median over the epochs after
 *    the first (warm-up). Ratio = Liftoff / plain; target ≥ 0.95 (overhead ≤ 5 %). N pods talk gloo over the pod
 *    network, N processes on one host over the loopback: that difference is part of what is measured. This machine
 *    has 2 cores shared with other sessions, so the line does not scale past 2 processes: the point is the overhead
 *    and the shape of the line, not the absolute figures.
 * 2. Start: the N = 2 TrainingJob's create call → both workers running (status.workers.ready) → the first step
 *    (the first epoch's report, seen in the status, minus that epoch's seconds; the report's delivery, up to the
 *    operator's --progress-interval, is in the figure).
 * 3. Resume: a 2-worker TrainingJob of BENCH_DISTRIBUTED_RESUME_EPOCHS epochs; once its first checkpoint is on the
 *    claim, worker 1's main process is SIGKILLed; from the kill: the operator starts attempt 1
 *    (status.workers.attempt), its workers run, and its first progress report arrives (the resumed epoch).
 *
 * Knobs: BENCH_DISTRIBUTED_CLUSTER=bench (started if not running; LIFTOFF_PORT_BASE moves its ports)
 *        BENCH_DISTRIBUTED_WORKERS=1,2,4  BENCH_DISTRIBUTED_EPOCHS=5  BENCH_DISTRIBUTED_REPEAT=20
 *        BENCH_DISTRIBUTED_BATCH=32  BENCH_DISTRIBUTED_HIDDEN=128  BENCH_DISTRIBUTED_CPU=500m (per worker pod)
 *        BENCH_DISTRIBUTED_RESUME=1 (0 leaves part 3 out)  BENCH_DISTRIBUTED_RESUME_EPOCHS=6
 *        BENCH_DISTRIBUTED_SEED=0 (the noise)  BENCH_DISTRIBUTED_PROGRESS_INTERVAL_S=1 (the operator's)
 *        BENCH_DISTRIBUTED_TIMEOUT_S=900 (per run)
 * Quick: BENCH_DISTRIBUTED_WORKERS=2 BENCH_DISTRIBUTED_EPOCHS=3 BENCH_DISTRIBUTED_REPEAT=10 BENCH_DISTRIBUTED_RESUME_EPOCHS=4
 * Needs runtime/dist (npm run build:runtime: the cluster's pods run it) and the pytorch venv (hack/pytorch-venv.sh).
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
const { CoreV1Api, CustomObjectsApi, KubeConfig } = await import("@kubernetes/client-node");
const { benchOperator, until: untilDone } = await import("./lib/bench-operator.js");
const { claimHostFolder } = await import("../devcluster/node-agent/claim-folder.js");
const { scriptEnv } = await import("../runtime/src/train/pytorch/torchrun.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { digitsDataSet } = await import("./lib/digits.js");
const { writeScaledDigits } = await import("./lib/scaled-digits.js");

type Kc = InstanceType<typeof KubeConfig>;
// biome-ignore lint/suspicious/noExplicitAny: the custom objects' JSON
type Json = any;

const REPO = path.resolve(import.meta.dirname, "..");
const WORK = path.join(REPO, ".liftoff", "bench-distributed");
const SCRIPT = path.join(REPO, "examples/pytorch/penguins_ddp.py");
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const int = (name: string, fallback: string, min: number): number => {
  const v = Number(env(name, fallback));
  if (!Number.isInteger(v) || v < min) throw new Error(`bench:distributed: ${name} must be an integer ≥ ${min}`);
  return v;
};
const CLUSTER = env("BENCH_DISTRIBUTED_CLUSTER", "bench");
const WORKERS = env("BENCH_DISTRIBUTED_WORKERS", "1,2,4").split(",").filter(Boolean).map(Number);
const EPOCHS = int("BENCH_DISTRIBUTED_EPOCHS", "5", 2);
const REPEAT = int("BENCH_DISTRIBUTED_REPEAT", "20", 1);
const BATCH = int("BENCH_DISTRIBUTED_BATCH", "32", 1);
const HIDDEN = int("BENCH_DISTRIBUTED_HIDDEN", "128", 1);
const CPU = env("BENCH_DISTRIBUTED_CPU", "500m");
const RESUME = env("BENCH_DISTRIBUTED_RESUME", "1") !== "0";
const RESUME_EPOCHS = int("BENCH_DISTRIBUTED_RESUME_EPOCHS", "6", 3);
const SEED = int("BENCH_DISTRIBUTED_SEED", "0", 0);
const PROGRESS_S = int("BENCH_DISTRIBUTED_PROGRESS_INTERVAL_S", "1", 1);
const TIMEOUT_MS = int("BENCH_DISTRIBUTED_TIMEOUT_S", "900", 10) * 1000;
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1))
  throw new Error("bench:distributed: bad BENCH_DISTRIBUTED_WORKERS");
if (!/^(\d+m|\d+(\.\d+)?)$/.test(CPU)) throw new Error("bench:distributed: BENCH_DISTRIBUTED_CPU is a CPU quantity");
const CORES = CPU.endsWith("m") ? Number(CPU.slice(0, -1)) / 1000 : Number(CPU);
// What the operator gives each worker's processes (operator/src/trainingjob/pytorch/worker-pod.ts): one process each.
const THREADS = Math.max(1, Math.floor(CORES));
const HYPERPARAMETERS = { optimizer: "adam", learningRate: 0.001, batchSize: BATCH, seed: 7 };
const CLAIM = "bench";

const log = (m: string) => process.stderr.write(`bench:distributed: ${m}\n`);
const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const crd = (ns: string, plural: string) => ({ group: "liftoff.dev", version: "v1alpha1", namespace: ns, plural });

const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500) =>
  untilDone<T>("bench:distributed", what, f, timeoutMs, everyMs);

/** One epoch's throughput: samples trained over its seconds, as the script reports it. */
interface EpochRate {
  epoch: number;
  samplesPerSecond: number;
}
interface PlainRun {
  workers: number;
  epochs: EpochRate[];
  /** Samples of epoch 1 (every rank's shard): the same in the TrainingJob, whose status has only the rate. */
  samples: number;
  wallMs: number;
  /** Start → the first epoch's line in the events file, minus that epoch's seconds. */
  firstStepMs?: number;
  accuracy: number;
}
interface LiftoffRun {
  workers: number;
  epochs: EpochRate[];
  phase: string;
  wallMs: number;
  /** create → status.workers.ready = N. */
  readyMs?: number;
  /** create → the first progress report seen in the status, and that report's samples/s. */
  firstReportMs?: number;
  firstRate?: number;
  accuracy?: number;
}
interface ResumeRun {
  checkpointEpoch: number;
  killedAtEpoch: number;
  attemptMs?: number;
  runningMs?: number;
  progressMs?: number;
  resumedEpoch?: number;
  phase: string;
  attempts: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });

/** The script under plain torchrun on this host, N processes, on the plaintext version folder. */
async function plain(py: string, version: string, workers: number): Promise<PlainRun> {
  const dir = mkdtempSync(path.join(WORK, `plain-w${workers}-`));
  const files = {
    dataDir: version,
    checkpointDir: path.join(dir, "checkpoints"),
    exportDir: dir,
    events: path.join(dir, "events.jsonl"),
  };
  mkdirSync(files.checkpointDir);
  const argv = [
    "-m",
    "torch.distributed.run",
    "--nnodes=1",
    `--nproc-per-node=${workers}`,
    "--master-addr=127.0.0.1",
    `--master-port=${await freePort()}`,
    "--max-restarts=0",
    SCRIPT,
    "--hidden",
    String(HIDDEN),
  ];
  const started = performance.now();
  const child = spawn(py, argv, {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: scriptEnv({ ...process.env, PYTHONPATH: path.join(REPO, "python"), OMP_NUM_THREADS: String(THREADS) }, files, {
      ...HYPERPARAMETERS,
      epochs: EPOCHS,
    }),
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString("utf8");
  });
  child.stderr.on("data", (b: Buffer) => {
    err = (err + b.toString("utf8")).slice(-4000);
  });
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), TIMEOUT_MS);
  // The first epoch's line, as soon as it is written: the start → first step of plain torchrun.
  let firstStepMs: number | undefined;
  const watch = setInterval(() => {
    if (firstStepMs !== undefined || !existsSync(files.events)) return;
    const first = readFileSync(files.events, "utf8")
      .split("\n")
      .find((l) => l.includes('"progress"') && l.endsWith("}"));
    if (first) firstStepMs = performance.now() - started - 1000 * JSON.parse(first).seconds;
  }, 50);
  const code = await new Promise<number | null>((r) => child.on("close", r));
  clearTimeout(timer);
  clearInterval(watch);
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`bench:distributed: plain torchrun (${workers}) exited ${code}:\n${err}`);
  const events = readFileSync(files.events, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "progress");
  rmSync(dir, { recursive: true, force: true });
  const run: PlainRun = {
    workers,
    epochs: events.map((e) => ({ epoch: e.epoch, samplesPerSecond: e.samples / e.seconds })),
    samples: events[0]?.samples ?? 0,
    wallMs,
    ...(firstStepMs !== undefined ? { firstStepMs } : {}),
    accuracy: Number(/test_accuracy=([0-9.]+)\s*$/.exec(out)?.[1]),
  };
  log(`plain torchrun ×${workers}: ${secs(wallMs)}, ${rates(run.epochs)}`);
  return run;
}

const rates = (es: EpochRate[]) => es.map((e) => `${e.epoch}:${e.samplesPerSecond.toFixed(0)}`).join(" ");

function trainingJob(ns: string, name: string, workers: number, epochs: number): Json {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingJob",
    metadata: { name, namespace: ns },
    spec: {
      dataSetRef: { name: "digits" },
      task: "multiclass",
      pytorch: {
        script: { configMap: { name: "bench-ddp", key: "train.py" } },
        args: ["--hidden", String(HIDDEN)],
        workers,
        procsPerWorker: 1,
      },
      hyperparameters: { ...HYPERPARAMETERS, epochs },
      resources: { cpu: CPU, memory: "1Gi" },
      output: { claimName: CLAIM, path: `models/${name}` },
    },
  };
}

class Cluster {
  readonly core;
  readonly objects;
  constructor(
    kc: Kc,
    readonly ns: string,
    readonly folder: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.objects = kc.makeApiClient(CustomObjectsApi);
  }
  create(tj: Json) {
    return this.objects.createNamespacedCustomObject({ ...crd(this.ns, "trainingjobs"), body: tj });
  }
  async get(name: string): Promise<Json> {
    return this.objects.getNamespacedCustomObject({ ...crd(this.ns, "trainingjobs"), name });
  }
  async pods(name: string) {
    const list = await this.core.listNamespacedPod({
      namespace: this.ns,
      labelSelector: `liftoff.dev/trainingjob=${name}`,
    });
    return list.items;
  }
  /** Deletes the TrainingJob and waits for its worker pods to go, so the next run starts on a quiet cluster. */
  async remove(name: string) {
    await this.objects.deleteNamespacedCustomObject({ ...crd(this.ns, "trainingjobs"), name });
    await until(`${name}'s pods to go`, async () => ((await this.pods(name)).length === 0 ? true : undefined), 120_000);
  }
}

const ended = (tj: Json) => tj?.status?.phase === "Succeeded" || tj?.status?.phase === "Failed";

/** A TrainingJob of N workers from the create call to its end, its status polled every 100 ms. */
async function liftoff(c: Cluster, workers: number): Promise<LiftoffRun> {
  const name = `tput-w${workers}`;
  const started = performance.now();
  await c.create(trainingJob(c.ns, name, workers, EPOCHS));
  const seen = new Map<number, number>();
  let last = "";
  const run: LiftoffRun = { workers, epochs: [], phase: "", wallMs: 0 };
  const done = await until(
    `TrainingJob ${name} to end`,
    async () => {
      const tj = await c.get(name);
      const now = performance.now() - started;
      const s = tj.status ?? {};
      if (run.readyMs === undefined && s.workers?.ready === workers) run.readyMs = now;
      const p = s.progress;
      const line = `${name}: ${s.phase ?? "—"}, workers ${s.workers?.ready ?? 0}/${workers}, epoch ${p?.epoch ?? "—"}, ${p?.samplesPerSecond?.toFixed(0) ?? "—"} samples/s`;
      if (line !== last) {
        last = line;
        log(line);
      }
      if (p?.epoch >= 1 && typeof p.samplesPerSecond === "number" && !seen.has(p.epoch)) {
        seen.set(p.epoch, p.samplesPerSecond);
        if (run.firstReportMs === undefined) {
          run.firstReportMs = now;
          run.firstRate = p.samplesPerSecond;
          if (p.epoch !== 1) log(`${name}: the first report seen is epoch ${p.epoch}'s`);
        }
      }
      return ended(tj) ? tj : undefined;
    },
    TIMEOUT_MS,
    100,
  );
  run.wallMs = performance.now() - started;
  run.phase = done.status.phase;
  run.accuracy = done.status.finalMetrics?.accuracy;
  run.epochs = [...seen].map(([epoch, samplesPerSecond]) => ({ epoch, samplesPerSecond }));
  log(`liftoff ×${workers}: ${run.phase} in ${secs(run.wallMs)}, ${rates(run.epochs)}`);
  if (run.phase !== "Succeeded") log(`${name}: ${JSON.stringify(done.status.conditions)}`);
  await c.remove(name);
  return run;
}

/** Epochs of the checkpoints on the claim (epoch-000003.pt). */
function checkpoints(c: Cluster, name: string, uid: string): number[] {
  try {
    return readdirSync(path.join(c.folder, "models", name, ".checkpoints", uid)).flatMap((n) => {
      const m = /^epoch-(\d{6})\.pt$/.exec(n);
      return m ? [Number(m[1])] : [];
    });
  } catch {
    return [];
  }
}

/** The kill of worker 1 after the first checkpoint, and the group's way back to its next progress report. */
async function resume(c: Cluster): Promise<ResumeRun> {
  const name = "resume";
  await c.create(trainingJob(c.ns, name, 2, RESUME_EPOCHS));
  const uid = (await c.get(name)).metadata.uid as string;
  const checkpointEpoch = await until(
    "the first checkpoint",
    async () => {
      const top = Math.max(-1, ...checkpoints(c, name, uid));
      return top >= 1 ? top : undefined;
    },
    TIMEOUT_MS,
    50,
  );
  // The kill once the status shows that epoch too, so the next report can only come from the new group.
  await until(
    `epoch ${checkpointEpoch}'s report`,
    async () => ((await c.get(name)).status?.progress?.epoch >= checkpointEpoch ? true : undefined),
    TIMEOUT_MS,
    50,
  );
  const w1 = (await c.pods(name)).find(
    (p) =>
      p.metadata?.labels?.["liftoff.dev/group-attempt"] === "0" &&
      p.metadata?.labels?.["liftoff.dev/worker-index"] === "1",
  );
  // The node agent runs a container as a process: its id is liftoff-local://<pid> (test/integration/node-agent-helpers.ts).
  const pid = Number((w1?.status?.containerStatuses?.[0]?.containerID ?? "").replace("liftoff-local://", ""));
  if (!(pid > 0)) throw new Error(`bench:distributed: no running worker 1 (${JSON.stringify(w1?.status)})`);
  const before = (await c.get(name)).status?.progress;
  const key = (p: Json) => `${p?.epoch}/${p?.samplesPerSecond}`;
  const beforeKey = key(before);
  process.kill(pid, "SIGKILL");
  const killed = performance.now();
  log(
    `resume: worker 1 (pid ${pid}) killed after the checkpoint of epoch ${checkpointEpoch}; last report epoch ${before?.epoch}`,
  );
  const run: ResumeRun = { checkpointEpoch, killedAtEpoch: before?.epoch ?? 0, phase: "", attempts: 0 };
  const done = await until(
    "the resumed TrainingJob to end",
    async () => {
      const tj = await c.get(name);
      const now = performance.now() - killed;
      const s = tj.status ?? {};
      const attempt = s.workers?.attempt ?? 0;
      if (attempt >= 1 && run.attemptMs === undefined) run.attemptMs = now;
      if (attempt >= 1 && run.runningMs === undefined && s.workers?.ready === 2) run.runningMs = now;
      // The new group's first report: the progress changes once attempt 1's workers run.
      if (run.runningMs !== undefined && run.progressMs === undefined && s.progress && key(s.progress) !== beforeKey) {
        run.progressMs = now;
        run.resumedEpoch = s.progress.epoch;
      }
      return ended(tj) ? tj : undefined;
    },
    TIMEOUT_MS,
    100,
  );
  run.phase = done.status.phase;
  run.attempts = (done.status.workers?.attempt ?? 0) + 1;
  log(
    `resume: ${run.phase}; attempt 1 after ${secs(run.attemptMs)}, running after ${secs(run.runningMs)}, epoch ${run.resumedEpoch} reported after ${secs(run.progressMs)}`,
  );
  await c.remove(name);
  return run;
}

function tables(plainRuns: PlainRun[], ours: LiftoffRun[], res: ResumeRun | undefined): string[] {
  // Epoch 1 warms up (first all-reduces, allocator, page cache): the median of the others.
  const rate = (es: EpochRate[]) => median(es.filter((e) => e.epoch > 1).map((e) => e.samplesPerSecond));
  const one = plainRuns.find((p) => p.workers === 1);
  const oneOurs = ours.find((p) => p.workers === 1);
  const lines = [
    `Throughput: examples/pytorch/penguins_ddp.py --hidden ${HIDDEN}, batch ${BATCH} per process, digits ×${REPEAT} (${plainRuns[0]?.samples ?? "?"} training rows), ${EPOCHS} epochs; samples/s = the median of epochs 2…${EPOCHS} as the script reports them; Liftoff: N worker pods of cpu ${CPU} (gloo over the pod network), plain: torchrun with N processes on the host (loopback), OMP_NUM_THREADS=${THREADS} in both. This machine has 2 cores shared with other sessions: the line cannot scale past 2 processes.`,
    "",
    "| workers | plain torchrun samples/s | Liftoff samples/s | Liftoff / plain (target ≥ 0.95) | scaling vs 1, plain / Liftoff | wall time plain / Liftoff (create → Succeeded) | test accuracy plain / Liftoff |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...WORKERS.map((w) => {
      const p = plainRuns.find((r) => r.workers === w);
      const l = ours.find((r) => r.workers === w);
      const pr = p ? rate(p.epochs) : Number.NaN;
      const lr = l ? rate(l.epochs) : Number.NaN;
      const scale = (x: number, base: number | undefined) =>
        base && Number.isFinite(x) ? `${(x / base).toFixed(2)}×` : "—";
      return `| ${w} | ${pr.toFixed(0)} | ${lr.toFixed(0)} | ${(lr / pr).toFixed(3)} | ${scale(pr, one ? rate(one.epochs) : undefined)} / ${scale(lr, oneOurs ? rate(oneOurs.epochs) : undefined)} | ${secs(p?.wallMs)} / ${secs(l?.wallMs)}${l && l.phase !== "Succeeded" ? ` (${l.phase})` : ""} | ${p?.accuracy ?? "—"} / ${l?.accuracy ?? "—"} |`;
    }),
    "",
  ];
  const two = ours.find((r) => r.workers === 2);
  const twoPlain = plainRuns.find((r) => r.workers === 2);
  if (two?.firstReportMs !== undefined && two.firstRate && twoPlain) {
    const epoch1Ms = (1000 * twoPlain.samples) / two.firstRate;
    lines.push(
      `Start of a 2-worker TrainingJob (create call → …; the first step = the first epoch's report seen in the status minus that epoch's ${secs(epoch1Ms)}, so it includes the report's delivery, up to --progress-interval=${PROGRESS_S} s):`,
      "",
      "| run | both workers running | first epoch reported | first step |",
      "| --- | --- | --- | --- |",
      `| Liftoff, 2 worker pods | ${secs(two.readyMs)} | ${secs(two.firstReportMs)} | ${secs(two.firstReportMs - epoch1Ms)} |`,
      `| plain torchrun, 2 processes (its start → the events file's first line) | — | — | ${secs(twoPlain.firstStepMs)} |`,
      "",
    );
  }
  if (res) {
    lines.push(
      `Resume after SIGKILL of worker 1's main process (2 workers, ${RESUME_EPOCHS} epochs; killed once the checkpoint of epoch ${res.checkpointEpoch} was on the claim, the last report then epoch ${res.killedAtEpoch}); from the kill:`,
      "",
      "| attempt 1 started (status.workers.attempt) | its 2 workers running | its first progress report | resumed epoch reported | end |",
      "| --- | --- | --- | --- | --- |",
      `| ${secs(res.attemptMs)} | ${secs(res.runningMs)} | ${secs(res.progressMs)} | ${res.resumedEpoch ?? "—"} | ${res.phase}, ${res.attempts} attempts |`,
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
  const venv = (script: string) =>
    execFileSync("bash", [path.join(REPO, "hack", script)], { stdio: ["ignore", "pipe", "inherit"] })
      .toString()
      .trim()
      .split("\n")
      .at(-1) as string;
  const py = venv("pytorch-venv.sh");
  // scikit-learn's digits as CSV (the Optuna venv has scikit-learn), then the scaled copy the cluster prepares.
  const digits = path.join(WORK, "digits.csv");
  if (!existsSync(digits))
    execFileSync(venv("optuna-venv.sh"), [path.join(REPO, "bench/train_peers.py"), "digits-csv", digits]);
  const csvName = `digits-x${REPEAT}-s${SEED}.csv`;
  const csv = path.join(WORK, csvName);
  const rows = writeScaledDigits(digits, csv, REPEAT, SEED);
  log(`${csvName}: ${rows} rows`);

  const { kc, core, ns, op, teardown } = await benchOperator(CLUSTER, "distributed", PROGRESS_S, log);
  try {
    await op.leading;
    const folder = await claimHostFolder(kc, ns, CLAIM);
    const c = new Cluster(kc, ns, folder);
    mkdirSync(path.join(folder, "raw"), { recursive: true });
    copyFileSync(csv, path.join(folder, "raw", csvName));
    const spec = digitsDataSet(CLAIM);
    spec.source.pvc.path = `raw/${csvName}`;
    await c.objects.createNamespacedCustomObject({
      ...crd(ns, "datasets"),
      body: { apiVersion: "liftoff.dev/v1alpha1", kind: "DataSet", metadata: { name: "digits", namespace: ns }, spec },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "bench-ddp" }, data: { "train.py": readFileSync(SCRIPT, "utf8") } },
    });
    const ds = await until<Json>(
      "DataSet digits Ready",
      async () => {
        const d: Json = await c.objects.getNamespacedCustomObject({ ...crd(ns, "datasets"), name: "digits" });
        const failed = d.status?.conditions?.find((x: Json) => x.type === "Failed" && x.status === "True");
        if (failed) throw new Error(`DataSet digits failed: ${JSON.stringify(d.status.conditions)}`);
        const ready = d.status?.conditions?.find((x: Json) => x.type === "Ready");
        return ready?.status === "True" ? d : undefined;
      },
      300_000,
    );
    // Unencrypted: the version folder on the claim is plaintext Parquet, readable by hand.
    const version = path.join(folder, spec.output.path, String(ds.status.digest).replace("sha256:", ""));
    if (!existsSync(path.join(version, "preprocessing.json"))) throw new Error(`no plaintext version at ${version}`);
    log(`DataSet digits Ready (${ds.status.digest})`);

    const plainRuns: PlainRun[] = [];
    const ours: LiftoffRun[] = [];
    for (const w of WORKERS) {
      plainRuns.push(await plain(py, version, w));
      ours.push(await liftoff(c, w));
    }
    const res = RESUME ? await resume(c) : undefined;
    const torch = execFileSync(py, ["-c", "import torch; print(torch.__version__)"]).toString().trim();
    const lines = [
      describeRun(run, `cluster "${CLUSTER}" (node agent: worker pods are local processes), torch ${torch}`),
      "",
      ...tables(plainRuns, ours, res),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:distributed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
