// The docs as tests: every shell block of README.md and docs/*.md runs as written, page by page, on the test
// cluster (hack/doc-test/: the page's `.liftoff/local/` is read as this cluster's folder), and where the page prints
// the output it must match, so a stale digest, row count or metric fails here. Blocks that cannot run here carry
// `<!-- doc-test: skip: REASON -->`; this file lists them with their reasons.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { shellBlocks } from "../../hack/doc-test/blocks.js";
import { describeResults, runPage } from "../../hack/doc-test/run.js";

const PAGES = [
  "README.md",
  ...readdirSync(join(REPO_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

const runnable = PAGES.filter((page) =>
  shellBlocks(readFileSync(join(REPO_ROOT, page), "utf8")).some((b) => b.skip === undefined),
);

describe("docs that run", () => {
  it.each(runnable)(
    "%s: every runnable block passes, and prints what the page shows",
    { timeout: 600_000 },
    async (page) => {
      const results = await runPage(readFileSync(join(REPO_ROOT, page), "utf8"), {
        repoRoot: REPO_ROOT,
        cluster: inject("clusterName"),
        env: process.env,
        blockTimeoutMs: 300_000,
      });
      const failed = results.filter((r) => r.outcome === "failed");
      const detail = failed.map((r) => `${page}:${r.line}: ${r.reason}\n${r.output ?? ""}`).join("\n");
      expect(
        failed.map((r) => `${page}:${r.line}: ${r.reason}`),
        detail,
      ).toEqual([]);
      console.error(describeResults(page, results).join("\n"));
    },
  );
});
