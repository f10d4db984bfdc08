/**
 * npm run bench:plugin — how fast `kubectl liftoff <command> --help` answers (issue #29 asks for under a second on
 * every subcommand): per subcommand the median wall time of `--help` through the npm bundle
 * (plugin/dist/kubectl-liftoff.cjs run by node, what `npm run plugin:install` installs), through the single
 * executable (.liftoff/plugin-release/kubectl-liftoff, what krew installs; only when `npm run plugin:release` built
 * it), and `kubectl --help` as the reference every kubectl user already waits for, with the ratios to it.
 * Each process is started directly (not through `kubectl liftoff`, which adds kubectl's own start to both); one
 * untimed run of each warms the page cache, then runs alternate between the three so load drifts hit all alike.
 *
 * Knobs: --runs N per command and binary (default 7). Builds the bundle first (npm run build:plugin).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
const { describeRun, startRun } = await import("./lib/machine.js");
const { COMMANDS } = await import("../plugin/src/commands/index.js");

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("bench:plugin: --runs must be a whole number ≥ 1");
const REPO = path.resolve(import.meta.dirname, "..");
const BUNDLE = path.join(REPO, "plugin", "dist", "kubectl-liftoff.cjs");
const SEA = path.join(REPO, ".liftoff", "plugin-release", "kubectl-liftoff");

execFileSync("npx", ["tsx", "hack/build-plugin.ts"], { cwd: REPO, stdio: "inherit" });
const kubectl = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).stdout.trim();
const run = startRun();

/** Wall milliseconds of one run; throws when it fails, so a broken --help is not timed as a fast one. */
function timeOnce(file: string, args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${r.status}: ${String(r.stderr).trim()}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

interface Target {
  label: string;
  file: string;
  prefix: string[];
}
const targets: Target[] = [{ label: "bundle (node)", file: process.execPath, prefix: [BUNDLE] }];
if (existsSync(SEA)) targets.push({ label: "single executable", file: SEA, prefix: [] });
else console.error("bench:plugin: no single executable (npm run plugin:release builds it): bundle only");

const reference = kubectl ? median(repeat(() => timeOnce(kubectl, ["--help"]))) : Number.NaN;

function repeat(fn: () => number): number[] {
  fn(); // warm-up
  return Array.from({ length: RUNS }, fn);
}

const rows: string[][] = [];
for (const spec of [{ name: "(root)" }, ...COMMANDS]) {
  const args = spec.name === "(root)" ? ["--help"] : [spec.name, "--help"];
  const times = targets.map(() => [] as number[]);
  for (const t of targets) timeOnce(t.file, [...t.prefix, ...args]); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const [j, t] of targets.entries()) times[j]?.push(timeOnce(t.file, [...t.prefix, ...args]));
  }
  const cells = times.map((ts) => {
    const m = median(ts);
    return `${m.toFixed(0)} ms (${(m / reference).toFixed(2)}×)`;
  });
  rows.push([`${spec.name} --help`, ...cells]);
}

const headers = ["command", ...targets.map((t) => t.label)];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join("   ")
    .trimEnd();
console.log(
  `\nkubectl liftoff --help, median of ${RUNS} runs each; ratio to kubectl --help (${kubectl || "not found"}: ${reference.toFixed(0)} ms)\n`,
);
console.log(line(headers));
for (const r of rows) console.log(line(r));
console.log(`\n${describeRun(run, `${RUNS} runs per cell`)}`);
