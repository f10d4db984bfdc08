/**
 * The seam every declared preprocessor plugs into (image.ts, audio, text): it takes one encoded file per row of a
 * BYTES input and produces the model's real inputs, one tensor per produced input with batch = items.length.
 * with-processing.ts presents `input` to clients in place of the `produces` inputs and calls `run` per request,
 * before batching, so one client's bad file never fails another's batch.
 */
import type { Tensor } from "../model/loaded-model.js";

/** The BYTES input clients send: one encoded file per row, shape [-1]. Structurally a TensorSpec of dtype "bytes". */
interface BytesInputSpec {
  name: string;
  dtype: "bytes";
  shape: number[];
}

export interface Preprocessor {
  input: BytesInputSpec;
  /** Model input names, in the order `run` returns their tensors. */
  produces: string[];
  /**
   * One tensor per produced input, batch = items.length. Bad items (undecodable, too large, wrong content) throw
   * errors.invalidInput naming `input.name` and the row: a 400, never a crash.
   */
  run(items: readonly Uint8Array[]): Promise<Tensor[]>;
}
