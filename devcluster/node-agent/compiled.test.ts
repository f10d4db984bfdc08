import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../cluster/config.js";
import { type AgentBuild, nodeAgentEntry } from "./compiled.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "agent-compiled-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("nodeAgentEntry", () => {
  it("builds the bundle once, reuses it while its inputs are unchanged, and rebuilds when one is newer", () => {
    const root = tempDir();
    const input = join(root, "input.ts");
    writeFileSync(input, "x");
    utimesSync(input, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    let builds = 0;
    const build: AgentBuild = () => {
      builds++;
      return { code: Buffer.from(`// build ${builds}\n`), inputs: ["input.ts"] };
    };
    const out = join(root, "out");
    const first = nodeAgentEntry(root, out, build);
    expect(first).toEqual({ args: [join(out, "main.mjs")], compiled: true });
    expect(nodeAgentEntry(root, out, build).compiled).toBe(true);
    expect(builds).toBe(1);
    utimesSync(input, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    nodeAgentEntry(root, out, build);
    expect(builds).toBe(2);
  });

  it("runs the sources under tsx, saying why, when the build fails", () => {
    const root = tempDir();
    const entry = nodeAgentEntry(root, join(root, "out"), () => {
      throw new Error("no esbuild here\nstack");
    });
    expect(entry.compiled).toBe(false);
    expect(entry.args[0]).toBe("--import");
    expect(entry.args[1]).toMatch(/node_modules\/tsx\/dist\/loader\.mjs$/);
    expect(entry.args[2]).toBe(join(root, "devcluster", "node-agent", "main.ts"));
    expect(entry.why).toBe("cannot compile the node agent (no esbuild here): running it under tsx");
  });

  it("compiles the real agent with esbuild into a file that node runs (its usage error proves every import loaded)", () => {
    const out = tempDir();
    const entry = nodeAgentEntry(REPO_ROOT, out);
    expect(entry).toEqual({ args: [join(out, "main.mjs")], compiled: true });
    const run = spawnSync(process.execPath, entry.args, { encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toContain("node-agent: fatal: usage: main.ts --kubeconfig FILE");
    expect(run.status).toBe(1);
  });
});
