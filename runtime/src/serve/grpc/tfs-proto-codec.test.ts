import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import type { Signature } from "../model/loaded-model.js";
import { decodePredict, type PredictRequest } from "./tfs-proto-codec.js";

const sig: Signature = {
  inputs: [{ name: "x", dtype: "float32", shape: [-1, 3] }],
  outputs: [{ name: "y", dtype: "float32", shape: [-1, 2] }],
} as unknown as Signature;

const predict = (dims: number[], floats: number[]): PredictRequest => ({
  model_spec: { name: "m", signature_name: "" },
  inputs: {
    x: {
      dtype: "DT_FLOAT",
      tensor_shape: { dim: dims.map((size) => ({ size })), unknown_rank: false },
      tensor_content: Buffer.alloc(0),
      float_val: floats,
    },
  },
  output_filter: [],
});

function refusal(f: () => unknown): RuntimeError {
  try {
    f();
  } catch (err) {
    if (err instanceof RuntimeError) return err;
    throw new Error(`expected a refusal, got ${(err as Error).message}`);
  }
  throw new Error("expected a refusal, it was accepted");
}

describe("TF Serving Predict decoding", () => {
  it("finding: TF Serving Predict with a huge tensor_shape and one float_val is refused before allocating", () => {
    const limits = { maxRequestRows: 4, bodyLimitBytes: 4096 };
    // 6e9 elements: allocating them first throws RangeError (or, below 2^32, takes the pod's memory).
    const huge = refusal(() => decodePredict(predict([2_000_000_000, 3], [1]), sig, limits));
    expect(huge.code).toBe("LIFTOFF_ERR_INVALID_INPUT");
    expect(huge.message).toBe("request has 2000000000 rows, more than the limit of 4");
    // The shape is checked against the model's before anything is filled.
    const wrong = refusal(() => decodePredict(predict([3, 1_000_000_000], [1]), sig, limits));
    expect(wrong.message).toMatch(/inputs\['x'\]: shape \[3,1000000000\] does not match \[-1,3\] at dimension 1/);
    // A dynamic inner dimension: the broadcast may not produce more than a body at the limit could carry.
    const dynamic = { ...sig, inputs: [{ name: "x", dtype: "float32", shape: [-1, -1] }] } as unknown as Signature;
    const wide = refusal(() => decodePredict(predict([1, 1_000_000_000], [1]), dynamic, limits));
    expect(wide.message).toBe(
      "inputs['x']: tensor_shape [1,1000000000] needs 1000000000 values; one float_val fills at most 1024 (the body limit / 4 bytes)",
    );
    // The ordinary broadcast still works.
    const ok = decodePredict(predict([2, 3], [7]), sig, limits);
    expect(Array.from(ok.prepared.inputs[0]?.data ?? [], Number)).toEqual([7, 7, 7, 7, 7, 7]);
  });
});
