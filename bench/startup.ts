/**
 * npx tsx bench/startup.ts — start-up (issue #31, part 5): the wall time of every entry point's `--help`, the
 * runtime's cold start (process spawn → GET /v2/models/m/ready answers 200, backend `auto` as pods run it), and the
 * node agent's start to its flag check (every import loaded). Nothing is installed or built here.
 *
 * --help: each command three times, the median; beside them the floors it cannot go under: `node -e ''`, Node with
 * tsx's loader on an empty file, tsx's own launcher (a second Node process), and `npm run` in front of a script.
 * Cold start: the compiled runtime (runtime/dist, as the image and the local node agent run it) on a 10 MB MLP
 * (16→1024→1024→1024→4, bench:runtime's cold-start model) and a penguins-sized one (9→16→3, the demo's); with
 * --before DIR, the same in that worktree (its runtime/dist built), the trees alternating start by start; and
 * "after, node cache": with --model-cache, where a first (untimed) start left auto's choice for the next.
 * The runtime's own log gives fetch, probe and warm-up seconds of each start.
 *
 * Knobs: --runs N cold starts per tree and model (default 4), --before DIR, --skip-help, --skip-agent.
 * Needs runtime/dist (npm run build:runtime) here and in --before.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { exitOnHelp } from "./lib/help.js";
import { loopbackServe } from "./lib/servers.js";

exitOnHelp(import.meta.filename);
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "4" },
    before: { type: "string" },
    "skip-help": { type: "boolean", default: false },
    "skip-agent": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const HERE = path.resolve(import.meta.dirname, "..");
const BEFORE = values.before ? path.resolve(values.before) : undefined;
const log = (s: string) => process.stderr.write(`bench:startup: ${s}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (s: number) => `${s.toFixed(2)} s`;

/** Wall seconds of one command to its exit; its exit code. */
function timed(cmd: string, args: string[], cwd = HERE): { seconds: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "ignore"], timeout: 60_000 });
  return { seconds: (performance.now() - t0) / 1000, code: r.status };
}

function helpTable(): string[] {
  const scratch = path.join(tmpdir(), "liftoff-startup-bench");
  mkdirSync(scratch, { recursive: true });
  const empty = path.join(scratch, "empty.ts");
  writeFileSync(empty, "export {};\n");
  const node = process.execPath;
  const tsxBin = path.join(HERE, "node_modules", ".bin", "tsx");
  const rows: [string, string, string[]][] = [
    ["floor: `node -e ''`", node, ["-e", ""]],
    ["floor: `node --import tsx empty.ts`", node, ["--import", "tsx", empty]],
    ["floor: `tsx empty.ts` (tsx's launcher + a child Node)", tsxBin, [empty]],
    ["`node runtime/dist/main.js --help`", node, ["runtime/dist/main.js", "--help"]],
    ["`node runtime/dist/main.js serve --help`", node, ["runtime/dist/main.js", "serve", "--help"]],
    ["`npm run runtime -- --help` (npm + tsx launcher)", "npm", ["run", "-s", "runtime", "--", "--help"]],
    ["`npm start -- --help`", "npm", ["start", "-s", "--", "--help"]],
    ["`npm run cluster:up -- --help`", "npm", ["run", "-s", "cluster:up", "--", "--help"]],
    ["`npm run bench:runtime -- --help`", "npm", ["run", "-s", "bench:runtime", "--", "--help"]],
  ];
  const scripts = [
    "runtime/src/main.ts",
    "operator/src/main.ts",
    "plugin/src/main.ts",
    "hack/demo.ts",
    "hack/setup.ts",
    "hack/operator.ts",
    "hack/reliability.ts",
    "hack/build-plugin.ts",
    "hack/gen-crds.ts",
    "hack/lint-yaml.ts",
    "devcluster/cluster/cli.ts",
    "devcluster/node-agent/main.ts",
    ...["runtime", "data", "train", "operator", "models", "llm", "coldstart", "autoscale", "storage", "plugin"].map(
      (b) => `bench/${b}.ts`,
    ),
  ];
  for (const s of scripts) rows.push([`\`node --import tsx ${s} --help\``, node, ["--import", "tsx", s, "--help"]]);
  const agent = path.join(HERE, ".liftoff", "node-agent", "main.mjs");
  if (existsSync(agent)) rows.push(["`node .liftoff/node-agent/main.mjs --help` (compiled)", node, [agent, "--help"]]);
  const out = [
    `--help, median of 3 (load average ${load()} at start)`,
    "",
    "| command | wall | exit |",
    "| --- | --- | --- |",
  ];
  for (const [label, cmd, args] of rows) {
    const r = [0, 1, 2].map(() => timed(cmd, args));
    out.push(`| ${label} | ${fmt(median(r.map((x) => x.seconds)))} | ${r[0]?.code} |`);
    log(out[out.length - 1] as string);
  }
  out.push("", `load average at end: ${load()}`);
  return out;
}

interface Start {
  ready: number;
  listen: number;
  backend: string;
  fetch: number;
  probe: number;
  warmup: number;
}

/** One cold start of `tree`'s compiled runtime on `model`: spawn → ready, and its own log's phases. */
async function coldStart(tree: string, model: string, extra: string[] = []): Promise<Start> {
  const t0 = performance.now();
  const p = spawn(process.execPath, ["runtime/dist/main.js", ...loopbackServe(model, extra)], {
    cwd: tree,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  p.stdout?.on("data", (d) => {
    out += d;
  });
  p.stderr?.on("data", (d) => {
    out += d;
  });
  let port: string | undefined;
  let listen = 0;
  try {
    while (true) {
      if (port === undefined) {
        port = /"listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
        if (port !== undefined) listen = (performance.now() - t0) / 1000;
      }
      if (port !== undefined) {
        const ok = await fetch(`http://127.0.0.1:${port}/v2/models/m/ready`)
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) break;
      }
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`runtime exited: ${out.slice(-1500)}`);
      if (performance.now() - t0 > 60_000) throw new Error(`runtime never ready: ${out.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const ready = (performance.now() - t0) / 1000;
    // The "ready on backend" line is written as readiness turns true; give the logger a moment.
    const deadline = performance.now() + 2000;
    while (!/"msg":"model m ready/.test(out) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const line = out.split("\n").find((l) => l.includes('"msg":"model m ready')) ?? "{}";
    const j = JSON.parse(line) as Record<string, unknown>;
    return {
      ready,
      listen,
      backend: String(j.backend),
      fetch: Number(j.fetchSeconds),
      probe: Number(j.probeSeconds),
      warmup: Number(j.warmupSeconds),
    };
  } finally {
    if (p.pid !== undefined) process.kill(-p.pid, "SIGKILL");
  }
}

async function coldTable(): Promise<string[]> {
  const { mlp, saveLayersModel } = await import("../runtime/src/serve/test-helpers.js");
  const dir = path.join(tmpdir(), "liftoff-startup-bench");
  const models: [string, string][] = [
    ["10 MB MLP", path.join(dir, "mlp-10mb")],
    ["penguins-sized MLP", path.join(dir, "penguins")],
  ];
  for (const [, d] of models) mkdirSync(d, { recursive: true });
  await saveLayersModel(mlp(16, 1024, 4, 3), models[0]?.[1] as string);
  await saveLayersModel(mlp(9, 16, 3, 1), models[1]?.[1] as string);
  // "after, node cache": --model-cache as the operator sets it, filled by one untimed start first, so auto's choice
  // is remembered (runtime/src/serve/model/probe-cache.ts): a restart or a scale-from-zero pod on the same node.
  const nodeCache = path.join(dir, "node-cache");
  const trees: [string, string, string[]][] = [
    ["after", HERE, []],
    ["after, node cache", HERE, ["--model-cache", nodeCache]],
    ...(BEFORE ? [["before", BEFORE, []] as [string, string, string[]]] : []),
  ];
  const out = [
    `cold start, compiled runtime, backend auto, ${RUNS} starts per tree and model, alternating (load average ${load()} at start)`,
    "",
    "| model | tree | spawn → ready (median) | all starts | spawn → listening | fetch / probe / warm-up (median) | backend |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const [label, model] of models) {
    const results = new Map<string, Start[]>(trees.map(([t]) => [t, []]));
    await coldStart(HERE, model, ["--model-cache", nodeCache]);
    for (let i = 0; i < RUNS; i++) {
      for (const [t, tree, extra] of i % 2 === 0 ? trees : [...trees].reverse()) {
        const s = await coldStart(tree, model, extra);
        results.get(t)?.push(s);
        log(`${label} ${t}: ready ${fmt(s.ready)} (listening ${fmt(s.listen)}, probe ${fmt(s.probe)}, ${s.backend})`);
      }
    }
    for (const [t] of trees) {
      const r = results.get(t) ?? [];
      out.push(
        `| ${label} | ${t} | ${fmt(median(r.map((s) => s.ready)))} | ${r.map((s) => s.ready.toFixed(2)).join(", ")} | ${fmt(median(r.map((s) => s.listen)))} | ${median(r.map((s) => s.fetch)).toFixed(2)} / ${median(r.map((s) => s.probe)).toFixed(2)} / ${median(r.map((s) => s.warmup)).toFixed(2)} s | ${[...new Set(r.map((s) => s.backend))].join(", ")} |`,
      );
    }
  }
  out.push("", `load average at end: ${load()}`);
  return out;
}

/** The node agent to its flag check (no flags: it loads every import, then exits 1 with its usage). */
function agentTable(): string[] {
  const node = process.execPath;
  const rows: [string, string, string[]][] = [
    ["under tsx (before; and the fallback)", node, ["--import", "tsx", "devcluster/node-agent/main.ts"]],
  ];
  const agent = path.join(HERE, ".liftoff", "node-agent", "main.mjs");
  if (existsSync(agent)) rows.push(["compiled (.liftoff/node-agent/main.mjs)", node, [agent]]);
  const out = [
    `node agent, spawn → its flag check, median of 3 (load average ${load()})`,
    "",
    "| how | wall |",
    "| --- | --- |",
  ];
  for (const [label, cmd, args] of rows) {
    const r = [0, 1, 2].map(() => timed(cmd, args).seconds);
    out.push(`| ${label} | ${fmt(median(r))} (${r.map((s) => s.toFixed(2)).join(", ")}) |`);
  }
  return out;
}

const report: string[] = [];
if (!values["skip-help"]) report.push(...helpTable(), "");
report.push(...(await coldTable()), "");
if (!values["skip-agent"]) report.push(...agentTable());
process.stdout.write(`${report.join("\n")}\n`);
