// Newcomer friction of issue #24: every CLI and bench answers --help at once, without installing, building or
// loading anything heavy (`npm run bench:train -- --help` used to start a multi-GB venv install, and the CLIs'
// help loaded TensorFlow.js first). Each runs as its own process with an empty cache folder; a preloaded hook
// reports every native addon the process loads (TensorFlow, DuckDB) on stderr, which must stay empty.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";

const CASES: { script: string; args: string[]; usage: RegExp }[] = [
  { script: "runtime/src/main.ts", args: ["--help"], usage: /^usage: liftoff-runtime <command>/ },
  { script: "runtime/src/main.ts", args: ["serve", "--help"], usage: /^usage: liftoff-runtime serve / },
  { script: "runtime/src/main.ts", args: ["prepare", "--help"], usage: /^usage: liftoff-runtime prepare / },
  { script: "runtime/src/main.ts", args: ["train", "-h"], usage: /^usage: liftoff-runtime train / },
  { script: "operator/src/main.ts", args: ["--help"], usage: /^usage: liftoff-operator / },
  { script: "hack/operator.ts", args: ["--help"], usage: /^usage: liftoff-operator / },
  // Issue #31: every other entry point too (package.json's scripts, hack/ and devcluster/ CLIs, the kubectl plugin).
  { script: "hack/demo.ts", args: ["--help"], usage: /^npm start \[-- flags\]: .*\n\nSteps, in order/ },
  { script: "hack/reliability.ts", args: ["--help"], usage: /^npm run reliability -- \[flags\]/ },
  { script: "plugin/src/main.ts", args: ["--help"], usage: /^kubectl liftoff shows / },
  { script: "devcluster/cluster/cli.ts", args: ["--help"], usage: /^usage: cluster up\|down / },
  { script: "devcluster/node-agent/main.ts", args: ["--help"], usage: /^usage: main\.ts --kubeconfig FILE / },
  ...[
    "setup",
    "build-plugin",
    "gen-crds",
    "lint-yaml",
    "render-run-objects",
    "loop-promotion",
    "device-bench",
    "device-bench-gguf",
  ].map((h) => ({
    script: `hack/${h}.ts`,
    args: ["--help"],
    usage: new RegExp(`^usage: tsx hack/${h}\\.ts\\n\\n\\S`),
  })),
  ...[
    "runtime",
    "peer",
    "operator",
    "data",
    "train",
    "train-step",
    "llm",
    "bare-server",
    "bare-grpc-server",
    "coldstart",
    "autoscale",
    "models",
    "storage",
    "capture",
    "plugin",
    "startup",
    "search",
    "distributed",
  ].map((b) => ({
    script: `bench/${b}.ts`,
    args: ["--help"],
    usage: new RegExp(`^usage: tsx bench/${b}\\.ts\\n\\n\\S`),
  })),
];

describe("--help of every CLI and bench", () => {
  let cache: string;
  let hook: string;
  beforeAll(async () => {
    cache = await mkdtemp(path.join(tmpdir(), "liftoff-help-"));
    hook = path.join(cache, "..", `${path.basename(cache)}-dlopen.mjs`);
    // Native addons (TensorFlow, DuckDB) as they load; CommonJS packages that take seconds (TF.js, fastify, gRPC)
    // as found in the module cache at exit.
    await writeFile(
      hook,
      `import { createRequire } from "node:module";
const Module = createRequire(import.meta.url)("node:module");
const open = process.dlopen;
process.dlopen = (m, file, ...rest) => { process.stderr.write(\`native addon loaded: \${file}\\n\`); return open(m, file, ...rest); };
process.on("exit", () => {
  const heavy = Object.keys(Module._cache).filter((k) => /node_modules\\/(@tensorflow|@duckdb|@grpc|fastify)\\//.test(k));
  if (heavy.length > 0) process.stderr.write(\`loaded: \${heavy.length} heavy modules, e.g. \${heavy[0]}\\n\`);
});
`,
    );
  });
  afterAll(async () => {
    await rm(cache, { recursive: true, force: true });
    await rm(hook, { force: true });
  });

  it.each(CASES)(
    "finding: $script $args prints its usage without installing or loading anything heavy",
    async (c) => {
      const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
        (resolve) => {
          // Its own process group: a regression that starts a bench's servers or installs is stopped whole.
          const child = spawn(
            process.execPath,
            ["--import", "tsx", "--import", hook, path.join(REPO_ROOT, c.script), ...c.args],
            { cwd: REPO_ROOT, env: { ...process.env, LIFTOFF_CACHE: cache }, detached: true, stdio: "pipe" },
          );
          child.stdin.end();
          let [out, err] = ["", ""];
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
          });
          child.stderr.on("data", (d: Buffer) => {
            err += d.toString();
          });
          const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 60_000);
          child.on("close", (exit) => {
            clearTimeout(timer);
            resolve({ stdout: out, stderr: err, code: exit });
          });
        },
      );
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toMatch(c.usage);
      // Nothing was installed into (or created in) the cache a bench would fill.
      expect(await readdir(cache)).toEqual([]);
    },
    90_000,
  );
});
