import { describe, expect, it } from "vitest";
import { RuntimeError } from "../errors.js";
import { fromNested } from "./tensors.js";

describe("fromNested", () => {
  it("finding: a ragged input is refused before allocating", () => {
    // The first row claims 70000 columns, the other 69999 rows are scalars: the
    // probed shape [70000, 70000] would need 4.9e9 elements (a 20 GB buffer).
    const value: unknown[] = new Array(70_000).fill(0);
    value[0] = new Array(70_000).fill(0);
    let err: unknown;
    try {
      fromNested(value, "float32", "input 'x'");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toBe(
      "input 'x': ragged or mixed nesting at [1] (expected 70000 elements at depth 1)",
    );
  });

  it("a rectangular input and a value error are unchanged", () => {
    expect(
      fromNested(
        [
          [1, 2],
          [3, 4],
        ],
        "float32",
        "x",
      ),
    ).toEqual({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
    expect(() =>
      fromNested(
        [
          [1, "a"],
          [3, 4],
        ],
        "float32",
        "x",
      ),
    ).toThrow("x: value at [0,1] is a string");
  });
});
