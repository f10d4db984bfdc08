import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import type { BytesData } from "../model/loaded-model.js";
import { parseLabels, softmaxRows, topK } from "./top-k.js";

const text = (d: unknown) => (d as BytesData).map((b) => new TextDecoder().decode(b));

describe("top-k", () => {
  it("answers score:index:label per row, highest first, ties by lower index, as Triton writes them", () => {
    const scores = {
      data: new Float32Array([0.1, 0.7, 0.2, 0.7, 5, -1, 3, 4]),
      shape: [2, 4],
      dtype: "float32" as const,
    };
    const t = topK(scores, { k: 2, softmax: false, labels: ["cat", "dog", "fish", "bird"], output: "scores" });
    expect(t.dtype).toBe("bytes");
    expect(t.shape).toEqual([2, 2]);
    // Row 0: 0.7 at 1 and at 3 (tie: index 1 first); row 1: 5 at 0, 4 at 3. float32 0.7 prints as 0.700000.
    expect(text(t.data)).toEqual(["0.700000:1:dog", "0.700000:3:bird", "5.000000:0:cat", "4.000000:3:bird"]);
    const plain = topK(scores, { k: 9, softmax: false, output: "scores" });
    expect(plain.shape).toEqual([2, 4]);
    expect(text(plain.data).slice(0, 2)).toEqual(["0.700000:1", "0.700000:3"]);
  });

  it("applies softmax first when asked (rows sum to 1, no overflow on large logits)", () => {
    const p = softmaxRows(new Float32Array([1000, 1000, 0, 1]), 2);
    expect(Array.from(p)).toEqual([0.5, 0.5, Math.fround(1 / (1 + Math.E)), Math.fround(Math.E / (1 + Math.E))]);
    const t = topK(
      { data: new Float32Array([2, 0]), shape: [1, 2], dtype: "float32" },
      { k: 1, softmax: true, output: "x" },
    );
    expect(text(t.data)).toEqual([`${(Math.exp(2) / (Math.exp(2) + 1)).toFixed(6)}:0`]);
  });

  it("reads labels one a line, CRLF and a trailing newline allowed", () => {
    expect(parseLabels(new TextEncoder().encode("a\r\nb c\nd\n"))).toEqual(["a", "b c", "d"]);
    expect(parseLabels(new TextEncoder().encode("a\n\nc"))).toEqual(["a", "", "c"]);
  });

  it("refuses class_count on an output that is not scores with a 400", () => {
    const ints = { data: new Int32Array([1, 2]), shape: [1, 2], dtype: "int32" as const };
    expect(() => topK(ints, { k: 1, softmax: false, output: "ids" })).toThrow(RuntimeError);
    expect(() => topK(ints, { k: 1, softmax: false, output: "ids" })).toThrow(
      "output 'ids' is int32, not scores: class_count needs a float output",
    );
  });
});
