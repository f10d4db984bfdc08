// bench:dp — DP-SGD in Liftoff's `train` against Opacus on the same data at the same privacy: scikit-learn's bundled
// 8×8 digits (1 797 × 64, through the real `prepare`: standardised, split 80/10/10, as bench:train), an MLP (hidden
// 64 ReLU, logits head), Adam, per-example clipping to 1, Poisson sampling, and the noise each derives from the same
// target (ε, δ = 1e-5) over the same epochs and batch size. Liftoff runs the compiled runtime (its real path, on
// libtensorflow); Opacus (bench/dp_opacus.py, hack/opacus-venv.sh's venv) runs PyTorch on one thread. Each side trains
// BENCH_DP_RUNS times per ε with seeds 1…n (Liftoff's noise and samples come from a fresh secret key each run, Opacus'
// from torch's seeded generator), and the test accuracy's mean and standard deviation are printed side by side with
// the noise multiplier each chose and the ε each accountant reports.
//
// Knobs: BENCH_DP_EPSILONS=1,3,8  BENCH_DP_RUNS=5  BENCH_DP_EPOCHS=30  BENCH_DP_BATCH=64  BENCH_DP_LR=0.005
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { preparedDigits } from "./lib/digits.js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);

const REPO = path.resolve(import.meta.dirname, "..");
const WORK = path.join(REPO, ".liftoff", "bench-dp");
const HIDDEN = [64];
const CLIP = 1;
const DELTA = 1e-5;
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const EPSILONS = env("BENCH_DP_EPSILONS", "1,3,8").split(",").map(Number);
const RUNS = Number(env("BENCH_DP_RUNS", "5"));
const EPOCHS = Number(env("BENCH_DP_EPOCHS", "30"));
const BATCH = Number(env("BENCH_DP_BATCH", "64"));
const LR = Number(env("BENCH_DP_LR", "0.005"));
const ONE_THREAD = { ...process.env, TF_NUM_INTRAOP_THREADS: "1", TF_NUM_INTEROP_THREADS: "1", OMP_NUM_THREADS: "1" };
const log = (m: string) => process.stderr.write(`bench:dp: ${m}\n`);

/** scikit-learn's digits → CSV → the real `prepare` → a DataSet version folder (as bench:train makes it). */
const digits = (py: string): string => preparedDigits(py, WORK, log);

interface Run {
  accuracy: number;
  noiseMultiplier: number;
  epsilon: number;
}

function liftoff(dir: string, epsilon: number, seed: number): Run {
  const name = `dp-${epsilon}-${seed}`;
  const spec = path.join(WORK, `${name}.json`);
  const out = path.join(WORK, "models", name);
  rmSync(out, { recursive: true, force: true });
  writeFileSync(
    spec,
    JSON.stringify({
      kind: "TrainingJob",
      metadata: { name },
      spec: {
        dataSetRef: { name: "digits" },
        task: "multiclass",
        model: { layers: HIDDEN.map((units) => ({ type: "dense", units, activation: "relu" })) },
        hyperparameters: {
          optimizer: "adam",
          learningRate: LR,
          epochs: EPOCHS,
          batchSize: BATCH,
          metrics: ["accuracy"],
          seed,
          privacy: { l2NormClip: CLIP, targetEpsilon: epsilon, delta: DELTA },
        },
      },
    }),
  );
  const stdout = execFileSync(
    "node",
    [path.join(REPO, "runtime/dist/main.js"), "train", "--spec", spec, "--data", dir, "--out", out],
    { env: ONE_THREAD, stdio: ["ignore", "pipe", "ignore"] },
  ).toString();
  const outcome = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  const lineage = JSON.parse(readFileSync(path.join(outcome.model.dir, "liftoff.json"), "utf8"));
  return {
    accuracy: outcome.finalMetrics.accuracy,
    noiseMultiplier: lineage.privacy.noiseMultiplier,
    epsilon: lineage.privacy.epsilon,
  };
}

function opacus(py: string, dir: string, epsilon: number, seed: number): Run {
  const args = [dir, BATCH, EPOCHS, LR, seed, HIDDEN.join(","), CLIP, epsilon, DELTA].map(String);
  const stdout = execFileSync(py, [path.join(REPO, "bench/dp_opacus.py"), ...args], {
    env: ONE_THREAD,
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const pct = (x: number) => (100 * x).toFixed(2);

async function main() {
  if (!existsSync(path.join(REPO, "runtime/dist/main.js"))) throw new Error("run npm run build first");
  mkdirSync(WORK, { recursive: true });
  const py = execFileSync("bash", [path.join(REPO, "hack/opacus-venv.sh")], { stdio: ["ignore", "pipe", "inherit"] })
    .toString()
    .trim();
  const dir = digits(py);
  const rows = (JSON.parse(readFileSync(path.join(dir, "stats.json"), "utf8")) as { rows: { train: number } }).rows
    .train;
  log(
    `digits: ${rows} training rows; MLP ${HIDDEN.join("-")}, Adam ${LR}, batch ${BATCH}, ${EPOCHS} epochs, clip ${CLIP}, δ ${DELTA}`,
  );
  const table: string[] = [
    "| target ε | Liftoff accuracy % (mean ± sd) | Opacus accuracy % (mean ± sd) | difference (points) | σ Liftoff / Opacus | ε spent Liftoff / Opacus |",
    "|---|---|---|---|---|---|",
  ];
  for (const epsilon of EPSILONS) {
    const ours: Run[] = [];
    const theirs: Run[] = [];
    for (let seed = 1; seed <= RUNS; seed++) {
      ours.push(liftoff(dir, epsilon, seed));
      theirs.push(opacus(py, dir, epsilon, seed));
      log(
        `ε ${epsilon} seed ${seed}: Liftoff ${pct(ours.at(-1)?.accuracy ?? 0)} %, Opacus ${pct(theirs.at(-1)?.accuracy ?? 0)} %`,
      );
    }
    const a = ours.map((r) => r.accuracy);
    const b = theirs.map((r) => r.accuracy);
    table.push(
      `| ${epsilon} | ${pct(mean(a))} ± ${pct(sd(a))} | ${pct(mean(b))} ± ${pct(sd(b))} | ${(100 * (mean(a) - mean(b))).toFixed(2)} | ${ours[0]?.noiseMultiplier.toFixed(4)} / ${theirs[0]?.noiseMultiplier.toFixed(4)} | ${ours[0]?.epsilon.toFixed(4)} / ${theirs[0]?.epsilon.toFixed(4)} |`,
    );
  }
  process.stdout.write(`${table.join("\n")}\n`);
}

await main();
