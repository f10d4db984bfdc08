import { describe, expect, it } from "vitest";
import type { OutputTensor, Signature } from "../model/loaded-model.js";
import { encodeV1, encodeV1Json } from "./v1-json-codec.js";

const sig = (...names: string[]): Signature => ({
  inputs: [{ name: "x", dtype: "float32", shape: [-1, 3] }],
  outputs: names.map((name) => ({ name, dtype: "float32", shape: [-1] })),
  batched: true,
});

describe("encodeV1Json", () => {
  const cases: [string, OutputTensor[], number][] = [
    ["float32 [1,2]", [{ data: new Float32Array([1.1, 0.4]), shape: [1, 2], dtype: "float32" }], 1],
    ["float32 [3,2]", [{ data: new Float32Array([1, -0, 2.5, 1e-7, -3e38, 7]), shape: [3, 2], dtype: "float32" }], 3],
    ["rank 1 (a scalar per row)", [{ data: new Float32Array([0.25, 0.5]), shape: [2], dtype: "float32" }], 2],
    ["rank 3", [{ data: new Float32Array(12).map((_, i) => i / 3), shape: [2, 3, 2], dtype: "float32" }], 2],
    [
      "non-finite as null",
      [{ data: new Float32Array([Number.NaN, Number.POSITIVE_INFINITY]), shape: [1, 2], dtype: "float32" }],
      1,
    ],
    ["int32", [{ data: new Int32Array([-2147483648, 2147483647]), shape: [1, 2], dtype: "int32" }], 1],
    ["uint8 and int8", [{ data: new Int8Array([-128, 127]), shape: [2], dtype: "int8" }], 2],
    ["bool (through encodeV1)", [{ data: new Uint8Array([1, 0]), shape: [2], dtype: "bool" }], 2],
    ["int64 (through encodeV1)", [{ data: new BigInt64Array([5n, -7n]), shape: [1, 2], dtype: "int64" }], 1],
    ["empty inner dimension", [{ data: new Float32Array(0), shape: [2, 0], dtype: "float32" }], 2],
  ];
  for (const [what, outputs, rows] of cases) {
    it(`writes what JSON.stringify(encodeV1(...)) writes: ${what}`, () => {
      expect(encodeV1Json(outputs, sig("y"), "row", rows)).toBe(
        JSON.stringify(encodeV1(outputs, sig("y"), "row", rows)),
      );
    });
  }

  it("leaves columnar replies and several outputs to encodeV1, with the same text", () => {
    const a: OutputTensor = { data: new Float32Array([1, 2]), shape: [2], dtype: "float32" };
    const b: OutputTensor = { data: new Float32Array([3, 4]), shape: [2], dtype: "float32" };
    expect(encodeV1Json([a], sig("y"), "columnar", 2)).toBe('{"outputs":[1,2]}');
    expect(encodeV1Json([a, b], sig("p", "q"), "row", 2)).toBe('{"predictions":[{"p":1,"q":3},{"p":2,"q":4}]}');
  });
});
