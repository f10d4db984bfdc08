import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isRunning, onCluster, runPage } from "./run.js";

const fence = (lang: string, body: string) => `\`\`\`${lang}\n${body}\n\`\`\`\n`;

async function run(page: string) {
  const repoRoot = mkdtempSync(join(tmpdir(), "doc-test-run-"));
  return {
    repoRoot,
    results: await runPage(page, { repoRoot, cluster: "test", env: process.env, blockTimeoutMs: 20_000 }),
  };
}

describe("runPage", () => {
  it("carries exported variables and the directory from block to block, and compares printed output", async () => {
    const page = [
      fence("sh", "export GREETING=hello\nmkdir -p sub && cd sub"),
      fence("sh", 'echo "$GREETING from $(basename $PWD)"'),
      fence("text", "hello from sub"),
    ].join("\n");
    const { results } = await run(page);
    expect(results.map((r) => r.outcome)).toEqual(["passed", "passed"]);
  });

  it("fails on a stale figure, and does not run what follows", async () => {
    const page = [fence("sh", "echo 'rows 333'"), fence("text", "rows 344"), fence("sh", "echo never")].join("\n");
    const { results } = await run(page);
    expect(results.map((r) => [r.outcome, r.reason])).toEqual([
      ["failed", 'expected line 1 not printed: "rows 344"'],
      ["not reached", undefined],
    ]);
  });

  it("fails on a non-zero exit, records skips with their reason", async () => {
    const page = [fence("sh", "false\necho after"), "<!-- doc-test: skip: needs kind -->", fence("sh", "kind")].join(
      "\n",
    );
    const { results } = await run(page);
    expect(results.map((r) => [r.outcome, r.reason])).toEqual([
      ["failed", "exited with 1"],
      ["not reached", undefined],
    ]);
    const skipped = await run(`<!-- doc-test: skip: needs kind -->\n${fence("sh", "kind")}`);
    expect(skipped.results).toEqual([{ line: 2, outcome: "skipped", reason: "needs kind" }]);
  });

  it("stops what the page left running when it ends", async () => {
    const page = [
      "<!-- doc-test: background -->",
      fence("sh", "echo $$ > bg.pid; exec sleep 60"),
      fence("sh", "sleep 30 & echo $! > amp.pid; until [ -s bg.pid ]; do sleep 0.1; done"),
    ].join("\n");
    const { repoRoot, results } = await run(page);
    expect(results.map((r) => r.outcome)).toEqual(["background", "passed"]);
    for (const file of ["bg.pid", "amp.pid"]) {
      const pid = Number(readFileSync(join(repoRoot, file), "utf8"));
      expect(isRunning(pid), file).toBe(false);
    }
  });

  it("reads the page's local cluster as the one it runs on", () => {
    expect(onCluster("export KUBECONFIG=$PWD/.liftoff/local/kubeconfig", "test")).toBe(
      "export KUBECONFIG=$PWD/.liftoff/test/kubeconfig",
    );
  });
});
