import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { DirectiveError, fences, shellBlocks } from "./blocks.js";

const page = [
  "# Title",
  "",
  "```sh",
  "echo one",
  "```",
  "",
  "```text",
  "one",
  "```",
  "",
  "<!-- doc-test: skip: needs Docker (kind) -->",
  "```bash",
  "kind create cluster",
  "```",
  "",
  "```text",
  "not compared: the block is skipped",
  "```",
  "<!-- doc-test: background -->",
  "",
  "```sh",
  "npm run operator -- --dev-cluster",
  "```",
  "Prose between.",
  "```text",
  "documentation, not output",
  "```",
  "```yaml",
  "kind: DataSet",
  "```",
].join("\n");

describe("shellBlocks", () => {
  it("finds sh and bash blocks, their comment and the text block right below", () => {
    expect(shellBlocks(page)).toEqual([
      { line: 3, code: "echo one", background: false, expected: "one" },
      {
        line: 12,
        code: "kind create cluster",
        background: false,
        skip: "needs Docker (kind)",
        expected: "not compared: the block is skipped",
      },
      { line: 21, code: "npm run operator -- --dev-cluster", background: true },
    ]);
  });

  it("refuses a comment it does not know, and a skip without a reason", () => {
    expect(() => shellBlocks("<!-- doc-test: sometimes -->\n```sh\ntrue\n```")).toThrow(DirectiveError);
    expect(() => shellBlocks("<!-- doc-test: skip -->\n```sh\ntrue\n```")).toThrow(/line 2: unknown doc-test comment/);
  });

  it("accepts the em dash as the reason's separator", () => {
    expect(shellBlocks("<!-- doc-test: skip — needs kind -->\n```sh\ntrue\n```")[0]?.skip).toBe("needs kind");
  });
});

describe("README.md and docs/*.md", () => {
  const pages = [
    "README.md",
    ...readdirSync(join(REPO_ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  it.each(pages)("%s: every doc-test comment is understood", (file) => {
    expect(() => shellBlocks(readFileSync(join(REPO_ROOT, file), "utf8"))).not.toThrow();
  });
  it.each(pages)("%s: every shell block, run or skipped, parses as bash (bash -n)", (file) => {
    const bad = shellBlocks(readFileSync(join(REPO_ROOT, file), "utf8"))
      .map((b) => ({ line: b.line, res: spawnSync("bash", ["-n"], { input: b.code, encoding: "utf8" }) }))
      .filter(({ res }) => res.status !== 0)
      .map(({ line, res }) => `line ${line}: ${res.stderr.trim()}`);
    expect(bad).toEqual([]);
  });
  it.each(pages)("%s: no shell commands in an unlabelled block (the doc test would not see them)", (file) => {
    const unlabelled = fences(readFileSync(join(REPO_ROOT, file), "utf8")).filter((f) => f.lang === "");
    const commands = unlabelled
      .filter((f) => /^(\$ )?(npm|kubectl|\.liftoff\/bin\/|curl|export|bao|helm) /m.test(f.body))
      .map((f) => `line ${f.line}`);
    expect(commands).toEqual([]);
  });
});
