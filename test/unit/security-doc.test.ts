// docs/security.md's threat model and OWASP tables name, for each control, the test that proves it as
// `file` › "test name", "other test name": each must be a test that exists, so a renamed or removed test shows here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";

const doc = readFileSync(join(REPO_ROOT, "docs/security.md"), "utf8");

/** Each `path.test.ts` › "a", "b" in the text, as [path, name] pairs (a name may wrap across lines). */
function citations(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of text.matchAll(/`([\w./-]+\.test\.ts)` › ((?:"[^"]+"(?:, )?)+)/g)) {
    for (const n of (m[2] ?? "").matchAll(/"([^"]+)"/g)) out.push([m[1] ?? "", (n[1] ?? "").replace(/\s+/g, " ")]);
  }
  return out;
}

describe("docs/security.md", () => {
  const cited = citations(doc.slice(doc.indexOf("## Policy scan (checkov)")));

  it("cites tests in the threat model and the OWASP tables", () => {
    expect(doc.indexOf("## Threat model")).toBeGreaterThan(0);
    expect(cited.length).toBeGreaterThan(40);
  });

  it("cites only tests that exist, by file and name", () => {
    const missing = cited.filter(([file, name]) => {
      const source = readFileSync(join(REPO_ROOT, file), "utf8");
      return !source.includes(`"${name}"`);
    });
    expect(missing.map(([f, n]) => `${f} › "${n}"`)).toEqual([]);
  });
});
