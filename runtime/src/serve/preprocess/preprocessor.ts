/**
 * Declared preprocessing (issue #25): a step the runtime runs before the model, so a client sends a file's bytes
 * (an image, a WAV, a text) as one BYTES input and the model still gets the tensors it takes.
 */
import type { Tensor, TensorSpec } from "../model/loaded-model.js";

export interface Preprocessor {
  /** The BYTES input a request carries instead of the model inputs in `produces`. */
  input: TensorSpec;
  /** The model inputs `run` answers, in this order. */
  produces: string[];
  /** One item per element of the request's BYTES input; resolves to one tensor per `produces` name. */
  run(items: Uint8Array[]): Promise<Tensor[]>;
}
