import { describe, expect, it } from "vitest";
import { maybeMissing } from "./clean.js";
import { planOf } from "./plan.js";
import { specWithDefaults } from "./spec.js";

const plan = (transforms: object[]) =>
  planOf(
    specWithDefaults({
      source: { inline: { data: "x" } },
      output: { claimName: "c", path: "p" },
      schema: {
        target: "y",
        columns: ["a", "b", "c", "d"]
          .map((name) => ({ name, type: "number" }))
          .concat([{ name: "y", type: "category" }]),
      },
      transforms,
    }),
  );

describe("maybeMissing", () => {
  it("keeps the columns with raw missing values that no fillNA fills and no dropNA drops", () => {
    const raw = new Map([
      ["a", 3],
      ["b", 1],
      ["c", 0],
      ["d", 2],
      ["y", 4],
    ]);
    const p = plan([
      { type: "fillNA", columns: ["a"], value: "0" },
      { type: "dropNA", columns: ["b", "y"] },
    ]);
    expect([...maybeMissing(p, raw)]).toEqual(["d"]);
    expect([...maybeMissing(plan([{ type: "dropNA" }]), raw)]).toEqual([]);
    expect([...maybeMissing(plan([]), raw)].sort()).toEqual(["a", "b", "d", "y"]);
  });
});
