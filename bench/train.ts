// bench:train — the same MLP (hidden 64-64 ReLU, logits head, Adam, softmax crossentropy) trained with the same
// data, batch size, learning rate and epochs by Liftoff's `train` command (the compiled runtime, its real path:
// DataSet folder → DuckDB → seeded tf.data batches → the train step → checkpoints → artifact), by Keras on
// tensorflow-cpu and by PyTorch on the CPU (bench/train_peers.py, pinned venv installed on first use), each in its
// own process on one thread, one after the other per row. Data: scikit-learn's bundled 8×8 digits (1 797 × 64,
// through the real `prepare`: standardised, split 80/10/10) and seeded synthetic blobs (1 M rows × 32, 10
// classes, written in the DataSet layout by test/support/dataset-fixture.ts). Prints samples/s, time per epoch,
// peak RSS (GNU time) and test accuracy side by side, with ratios; progress lines while it runs.
//
// Knobs: BENCH_TRAIN_CASES=digits,synthetic  BENCH_TRAIN_BATCHES=32,256  BENCH_TRAIN_ROWS=1000000
//        BENCH_TRAIN_EPOCHS=50 (digits)  BENCH_TRAIN_SYNTHETIC_EPOCHS=2  BENCH_TRAIN_FRAMEWORKS=liftoff,keras,pytorch
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { preparedDigits } from "./lib/digits.js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { blobs, writeDataSetFixture } = await import("../test/support/dataset-fixture.js");
const { pinnedVenv } = await import("./lib/venv.js");

const REPO = path.resolve(import.meta.dirname, "..");
const WORK = path.join(REPO, ".liftoff", "bench-train");
const PINS = [
  "torch==2.15.0",
  "tensorflow-cpu==2.21.0",
  "keras==3.15.1",
  "scikit-learn==1.9.1",
  "pyarrow==26.0.1",
  "numpy==2.4.6",
];
const HIDDEN = [64, 64];
const LEARNING_RATE = 0.003;
const SEED = 1;
const FRAMEWORKS = ["liftoff", "keras", "pytorch"] as const;
type Framework = (typeof FRAMEWORKS)[number];
// One thread everywhere: the peers set it in train_peers.py, libtensorflow reads these (DuckDB already uses 1).
const ONE_THREAD = { TF_NUM_INTRAOP_THREADS: "1", TF_NUM_INTEROP_THREADS: "1", OMP_NUM_THREADS: "1" };

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const list = (name: string, fallback: string) => env(name, fallback).split(",").filter(Boolean);
const log = (m: string) => process.stderr.write(`bench:train: ${m}\n`);

interface Case {
  name: string;
  dir: string;
  epochs: number;
  trainRows: number;
}

const trainRows = (dir: string) =>
  (JSON.parse(readFileSync(path.join(dir, "stats.json"), "utf8")) as { rows: { train: number } }).rows.train;

interface Result {
  samplesPerSecond: number;
  /** Mean wall seconds of an epoch after the first (tracing, JIT and first reads are the first's). */
  epochSeconds: number;
  firstEpochSeconds: number;
  rssMiB: number;
  accuracy: number;
}

/** Steady-state figures from each epoch's seconds: the first is left out when there are more. */
function fromEpochs(c: Case, seconds: number[], rssMiB: number, accuracy: number): Result {
  const steady = seconds.length > 1 ? seconds.slice(1) : seconds;
  const epochSeconds = steady.reduce((a, b) => a + b, 0) / steady.length;
  const firstEpochSeconds = seconds[0] ?? Number.NaN;
  return { samplesPerSecond: c.trainRows / epochSeconds, epochSeconds, firstEpochSeconds, rssMiB, accuracy };
}

/** scikit-learn's digits → CSV → the real `prepare` → a DataSet version folder. */
function digits(py: string): Case {
  const dir = preparedDigits(py, WORK, log);
  return {
    name: "digits (1 797 × 64)",
    dir,
    epochs: Number(env("BENCH_TRAIN_EPOCHS", "50")),
    trainRows: trainRows(dir),
  };
}

async function synthetic(rows: number): Promise<Case> {
  const dir = path.join(WORK, `synthetic-${rows}`);
  if (!existsSync(path.join(dir, "manifest.json"))) {
    log(`generating ${rows} seeded synthetic rows …`);
    rmSync(dir, { recursive: true, force: true });
    await writeDataSetFixture(dir, blobs(rows, 32, 10, 6));
  }
  return {
    name: `synthetic (${rows / 1e6} M × 32)`,
    dir,
    epochs: Number(env("BENCH_TRAIN_SYNTHETIC_EPOCHS", "2")),
    trainRows: trainRows(dir),
  };
}

/** Runs argv under GNU time, streaming its stderr lines that `show` keeps; stdout, wall seconds, peak RSS. */
function run(argv: string[], show: (line: string) => boolean, prefix: string) {
  const timeFile = path.join(WORK, "time.txt");
  const child = spawn("/usr/bin/time", ["-f", "%e %M", "-o", timeFile, ...argv], {
    env: { ...process.env, ...ONE_THREAD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  const tail: string[] = [];
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  createInterface({ input: child.stderr }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (show(line)) process.stderr.write(`  ${prefix} ${line}\n`);
  });
  return new Promise<{ stdout: string; rssMiB: number; stderr: string }>((resolve, reject) => {
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${argv.slice(0, 3).join(" ")} exited ${code}:\n${tail.join("\n")}`));
      const [, rss] = readFileSync(timeFile, "utf8").trim().split(/\s+/);
      resolve({ stdout, rssMiB: Number(rss) / 1024, stderr: tail.join("\n") });
    });
  });
}

async function liftoff(c: Case, batch: number): Promise<Result> {
  const out = path.join(WORK, "out", "liftoff");
  rmSync(out, { recursive: true, force: true });
  const job = path.join(WORK, "job.json");
  writeFileSync(
    job,
    JSON.stringify({
      kind: "TrainingJob",
      metadata: { name: "bench" },
      spec: {
        dataSetRef: { name: "bench" },
        task: "multiclass",
        model: { layers: HIDDEN.map((units) => ({ type: "dense", units, activation: "relu" })) },
        hyperparameters: {
          optimizer: "adam",
          learningRate: LEARNING_RATE,
          epochs: c.epochs,
          batchSize: batch,
          loss: "sparseCategoricalCrossentropy",
          metrics: ["accuracy"],
          seed: SEED,
        },
      },
    }),
  );
  const seconds: number[] = [];
  const r = await run(
    ["node", path.join(REPO, "runtime/dist/main.js"), "train", "--spec", job, "--data", c.dir, "--out", out],
    (line) => {
      const epoch = /^train: epoch \d+\/\d+ .*\(([\d.]+) s\)$/.exec(line);
      if (epoch) seconds.push(Number(epoch[1]));
      return Boolean(epoch) || /^train: (train step|test|backend)/.test(line);
    },
    "liftoff",
  );
  const outcome = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as { finalMetrics: { accuracy: number } };
  return fromEpochs(c, seconds, r.rssMiB, outcome.finalMetrics.accuracy);
}

async function peer(py: string, framework: "keras" | "pytorch", c: Case, batch: number): Promise<Result> {
  const argv = [
    py,
    path.join(REPO, "bench/train_peers.py"),
    framework,
    c.dir,
    String(batch),
    String(c.epochs),
    String(LEARNING_RATE),
    String(SEED),
    HIDDEN.join(","),
  ];
  const r = await run(argv, (line) => line.startsWith(`${framework}: `), framework);
  const o = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as { epochSeconds: number[]; accuracy: number };
  return fromEpochs(c, o.epochSeconds, r.rssMiB, o.accuracy);
}

const fmt = (r: Result | undefined) =>
  r
    ? `${Math.round(r.samplesPerSecond)}/s, ${r.epochSeconds < 10 ? r.epochSeconds.toFixed(3) : r.epochSeconds.toFixed(1)} s/epoch, ${r.rssMiB.toFixed(0)} MiB, acc ${(100 * r.accuracy).toFixed(1)} %`
    : "—";
const ratio = (a: Result | undefined, b: Result | undefined) =>
  a && b
    ? `${(a.samplesPerSecond / b.samplesPerSecond).toFixed(2)}×, ${(100 * (a.accuracy - b.accuracy)).toFixed(1)} pt`
    : "—";

async function main() {
  mkdirSync(WORK, { recursive: true });
  const frameworks = list("BENCH_TRAIN_FRAMEWORKS", FRAMEWORKS.join(",")) as Framework[];
  const py = pinnedVenv("bench-train", PINS, log);
  log("building the runtime …");
  execFileSync("npm", ["run", "--silent", "build:runtime"], { cwd: REPO, stdio: "inherit" });
  const cases: Case[] = [];
  for (const name of list("BENCH_TRAIN_CASES", "digits,synthetic")) {
    cases.push(name === "digits" ? digits(py) : await synthetic(Number(env("BENCH_TRAIN_ROWS", "1000000"))));
  }
  const load = () => os.loadavg().map((l) => l.toFixed(1));
  const startLoad = load();
  const rows: string[] = [];
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    for (const batch of list("BENCH_TRAIN_BATCHES", "32,256").map(Number)) {
      const got: Partial<Record<Framework, Result>> = {};
      for (const f of frameworks) {
        log(`${c.name}, batch ${batch}, ${c.epochs} epochs: ${f} … (load ${load().join(" ")})`);
        got[f] = f === "liftoff" ? await liftoff(c, batch) : await peer(py, f, c, batch);
        log(`  ${f}: ${fmt(got[f])}`);
      }
      const line = `| ${c.name} | ${batch} | ${c.epochs} | ${fmt(got.liftoff)} | ${fmt(got.keras)} | ${fmt(got.pytorch)} | ${ratio(got.liftoff, got.keras)} | ${ratio(got.liftoff, got.pytorch)} | ${load()[0]} |`;
      rows.push(line);
      results.push({ case: c.name, batch, epochs: c.epochs, ...got, loadAverage: os.loadavg() });
    }
  }
  writeFileSync(path.join(WORK, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    [
      `bench:train ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}), one thread per framework, load average at start ${startLoad.join(" ")}`,
      `MLP ${HIDDEN.join("-")} ReLU, Adam lr ${LEARNING_RATE}, softmax crossentropy; samples/s and s/epoch over the epochs after the first (each with its validation pass; Liftoff's with its checkpoint); ratio = Liftoff ÷ peer samples/s, accuracy difference in points`,
      "| data | batch | epochs | Liftoff (train) | Keras (tensorflow-cpu) | PyTorch (CPU) | vs Keras | vs PyTorch | load |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
}

await main();
