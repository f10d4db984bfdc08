/**
 * The one switch from a declared spec.model.preprocessing to its Preprocessor: image here; audio and text plug in
 * beside it. `files` are the side files the spec names (tokenizer, …), already checked against their digests.
 */
import type { Preprocessing } from "../../contract/processing.js";
import { ConfigError } from "../../errors.js";
import type { Signature } from "../model/loaded-model.js";
import { imagePreprocessor } from "./image.js";
import type { Preprocessor } from "./preprocessor.js";

export function buildPreprocessor(
  spec: Preprocessing,
  modelSignature: Signature,
  _files: ReadonlyMap<string, Uint8Array>,
): Preprocessor {
  const kinds = Object.keys(spec);
  if (kinds.length !== 1) throw new ConfigError(`preprocessing must set exactly one of image, audio or text`);
  if ("image" in spec) return imagePreprocessor(spec.image, modelSignature);
  // audio and text: their preprocessors plug in here (issue #25).
  throw new ConfigError(`preprocessing.${kinds[0]} is not supported by this runtime yet`);
}
