import { describe, expect, it } from "vitest";
import { planOf } from "./plan.js";
import { specWithDefaults } from "./spec.js";

// biome-ignore lint/suspicious/noExplicitAny: partial test specs
const spec = (over: any) =>
  specWithDefaults({
    source: { inline: { data: "x" } },
    output: { claimName: "c", path: "p" },
    schema: {
      target: "y",
      columns: [
        { name: "a", type: "number" },
        { name: "email", type: "string", pii: true },
        { name: "c", type: "category" },
        { name: "y", type: "category" },
      ],
    },
    ...over,
  });

const salt = { path: "secret/data/s", key: "salt" };

describe("planOf", () => {
  it("rejects a pii column left in clear, before reading anything", () => {
    expect(() => planOf(spec({}))).toThrow(/"email" is marked pii but neither hashed nor dropped/);
  });

  it("hashes pii columns by default in hashPII, keeps them out of the features, encodes categories", () => {
    const p = planOf(spec({ transforms: [{ type: "hashPII", saltSecret: salt }] }));
    expect(p.hashed).toEqual(["email"]);
    expect(p.features).toEqual([
      { column: "a", kind: "identity" },
      { column: "c", kind: "oneHot" },
    ]);
    expect(p.target).toEqual({ column: "y", type: "category", task: "classification" });
  });

  it("applies standardize to all numeric inputs when columns are omitted, and drops columns", () => {
    const p = planOf(spec({ transforms: [{ type: "dropColumns", columns: ["email", "c"] }, { type: "standardize" }] }));
    expect(p.kept.map((c) => c.name)).toEqual(["a", "y"]);
    expect(p.features).toEqual([{ column: "a", kind: "standardize" }]);
  });

  it("says what to fix for unknown columns, wrong types, the target and free text", () => {
    const drop = { type: "dropColumns", columns: ["email"] };
    expect(() => planOf(spec({ transforms: [drop, { type: "dropNA", columns: ["zz"] }] }))).toThrow(
      /names column "zz", which is not in schema.columns/,
    );
    expect(() => planOf(spec({ transforms: [drop, { type: "standardize", columns: ["c"] }] }))).toThrow(
      /column "c" is category; standardize needs a number or integer column/,
    );
    expect(() => planOf(spec({ transforms: [{ type: "dropColumns", columns: ["y"] }] }))).toThrow(/drop the target/);
    expect(() => planOf(spec({ transforms: [{ type: "hashPII", saltSecret: salt, columns: ["a"] }] }))).toThrow(
      /"email" is marked pii/,
    );
    const text = spec({ transforms: [drop] });
    text.schema.columns = text.schema.columns.map((c) => (c.name === "c" ? { ...c, type: "string" } : c));
    expect(() => planOf(text)).toThrow(/column "c" is free text/);
  });

  it("fills only the columns an all-columns fillNA value fits", () => {
    const p = planOf(
      spec({
        transforms: [
          { type: "dropColumns", columns: ["email"] },
          { type: "fillNA", value: "none" },
        ],
      }),
    );
    expect(p.rowSteps.filter((s) => s.kind === "fillNA").map((s) => (s as { column: string }).column)).toEqual([
      "c",
      "y",
    ]);
  });
});
