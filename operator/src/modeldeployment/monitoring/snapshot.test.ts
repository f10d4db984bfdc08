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
    expect(parseSnapshot({ ...base, llm: { seconds: 60, promptTokens: 10, generationTokens: -1 } })).toBe(
      "malformed llm section: seconds, promptTokens and generationTokens must be numbers >= 0",
    );
    expect(parseSnapshot({ ...base, llm: "fast" })).toMatch(/^malformed llm section/);
  });

  it("keeps a language model's token counts, and nothing else the pod added to them", () => {
    const base = { windowSeconds: 0, baseline: { configured: false } };
    const llm = { windowSeconds: 60, seconds: 42, promptTokens: 160, generationTokens: 420, extra: "x" };
    expect(parseSnapshot({ ...base, llm })).toEqual({
      ...base,
      llm: { seconds: 42, promptTokens: 160, generationTokens: 420 },
    });
  });

  it("keeps the serving section (requests, 5xx, latency buckets) only when its counts add up", () => {
    const base = { windowSeconds: 60, baseline: { configured: true } };
    const serving = { requests: 10, errors: 1, latencyMs: { bounds: [1, 2.5], counts: [6, 3, 1] } };
    expect(parseSnapshot({ ...base, serving: { ...serving, extra: true } })).toEqual({ ...base, serving });
    const bad = (s: unknown) => parseSnapshot({ ...base, serving: s });
    expect(bad({ ...serving, errors: 11 })).toBe("malformed serving section: more errors (11) than requests (10)");
    expect(bad({ ...serving, requests: Number.NaN })).toBe("malformed serving section");
    expect(bad({ ...serving, latencyMs: { bounds: [2.5, 1], counts: [6, 3, 1] } })).toMatch(/rising numbers/);
    expect(bad({ ...serving, latencyMs: { bounds: [], counts: [1] } })).toMatch(/rising numbers/);
    const many = Array.from({ length: 129 }, (_, i) => i + 1);
    expect(bad({ ...serving, latencyMs: { bounds: many, counts: [...many, 0] } })).toMatch(/1 to 128 rising/);
    expect(bad({ ...serving, latencyMs: { bounds: [1, 2.5], counts: [6, 3] } })).toMatch(/one more$/);
    expect(bad({ ...serving, latencyMs: { bounds: [1, 2.5], counts: [6, -3, 1] } })).toMatch(/one more$/);
  });
});
