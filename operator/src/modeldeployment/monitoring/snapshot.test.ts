import { describe, expect, it } from "vitest";
import { parseSnapshot } from "./snapshot.js";

describe("parseSnapshot", () => {
  it("refuses malformed pod answers with a reason instead of merging them", () => {
    expect(parseSnapshot("x")).toBe("not a /monitoring answer");
    const base = { windowSeconds: 60, baseline: { configured: true } };
    const feature = { name: "x", source: "input", labels: ["0", "1"], expected: [0.5, 0.5], counts: [1, -1] };
    expect(
      parseSnapshot({ ...base, drift: { baselineDigest: "d", rows: 1, features: [feature], unmatched: [] } }),
    ).toBe("feature x: labels, expected and counts must be equally long lists of numbers");
    expect(
      parseSnapshot({
        ...base,
        quality: { task: "classification", classes: ["a"], classification: { confusion: [[1, 2]] } },
      }),
    ).toBe("malformed confusion matrix");
    expect(parseSnapshot({ ...base })).toEqual(base);
  });
});
