import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConditionType, Reason, ReconcileFailure, stalled, waiting } from "./reasons.js";

describe("named failures", () => {
  it.each([
    ["waiting", waiting, false],
    ["stalled", stalled, true],
  ] as const)("%s(...) builds a ReconcileFailure of that kind", (kind, make, isStalled) => {
    const f = make(Reason.ModelNotReady, "TrainingJob t has not succeeded yet");
    expect(f).toBeInstanceOf(ReconcileFailure);
    expect(f).toMatchObject({ kind, stalled: isStalled, reason: Reason.ModelNotReady, name: "ReconcileFailure" });
    expect(f.message).toBe("TrainingJob t has not succeeded yet");
  });
});

// The catalogue kept in step with the code and the docs, both ways (like runtime/src/errors.test.ts).
const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");
const sources = (dir: string) =>
  (readdirSync(new URL(dir, ROOT), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => ({ file: `${dir}/${f}`, text: read(`${dir}/${f}`) }));
const operator = sources("operator/src").filter((s) => s.file !== "operator/src/reasons.ts");
const REASON_DOCS = ["modeldeployment", "trainingjob", "dataset", "monitoring"].map((d) => `docs/${d}.md`);
const docs = readdirSync(new URL("docs", ROOT))
  .filter((f) => f.endsWith(".md")) // docs/images/ holds the pictures
  .map((f) => read(`docs/${f}`))
  .join("\n");
const runtime = sources("runtime/src")
  .map((s) => s.text)
  .join("\n");

/**
 * Backticked names in the docs' tables under a column about reasons: a header that says "reason", or that names a
 * condition type (the ModelDeployment table has one column per condition, its reason in each cell).
 */
function documentedReasons(markdown: string): string[] {
  const types = new Set<string>(Object.values(ConditionType));
  const out: string[] = [];
  let columns: number[] | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      columns = undefined;
      continue;
    }
    const cells = line.split("|").slice(1, -1);
    if (cells.every((c) => /^\s*:?-+:?\s*$/.test(c))) continue;
    if (columns === undefined) {
      columns = cells.flatMap((c, i) => (/reason/i.test(c) || types.has(c.trim()) ? [i] : []));
      continue;
    }
    for (const i of columns) for (const m of (cells[i] ?? "").matchAll(/`([A-Z][A-Za-z0-9]+)`/g)) out.push(m[1] ?? "");
  }
  return out;
}

describe("condition catalogue", () => {
  it.each([
    ["Reason", Reason],
    ["ConditionType", ConditionType],
  ] as const)(
    "every %s entry is used (by the operator, or a runtime pod) and documented in docs/",
    (name, catalogue) => {
      const code = operator.map((s) => s.text).join("\n");
      const entries = Object.entries(catalogue);
      // Some reasons only travel through the operator: a training pod's termination message names them (NaNLoss).
      const used = ([key, value]: [string, string]) =>
        new RegExp(`\\b${name}\\.${key}\\b`).test(code) || runtime.includes(`"${value}"`);
      const unused = entries.filter((e) => !used(e));
      expect(unused.map(([key]) => key)).toEqual([]);
      const undocumented = entries.filter(([, value]) => !docs.includes(`\`${value}\``));
      expect(undocumented.map(([key]) => key)).toEqual([]);
    },
  );

  it("the operator spells no reason or condition type of its own outside the catalogue", () => {
    const types = Object.values(ConditionType).join("|");
    const written = new RegExp(`(type:|findCondition\\([^,]+,)\\s*"(${types})"`, "g");
    for (const { file, text } of operator) {
      expect(text.match(/reason:\s*"[A-Z]\w*"/g) ?? [], file).toEqual([]);
      expect(text.match(written) ?? [], file).toEqual([]);
      expect(text.match(/type\s*===\s*"Ready"/g) ?? [], file).toEqual([]);
    }
  });

  it("every reason the docs' reason tables name is in the catalogue, or written by a runtime pod", () => {
    const catalogued = new Set<string>(Object.values(Reason));
    const documented = REASON_DOCS.flatMap((d) => documentedReasons(read(d)));
    expect(documented.length).toBeGreaterThan(20);
    const unexplained = documented.filter((r) => !catalogued.has(r) && !runtime.includes(`"${r}"`));
    expect(unexplained).toEqual([]);
  });
});
