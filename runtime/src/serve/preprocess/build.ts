/**
 * The one switch from a declared spec.model.preprocessing to its Preprocessor (image, audio or text). `files` are
 * the side files the spec names (tokenizer, …), already checked against their digests.
 */
import type { Preprocessing } from "../../contract/processing.js";
import { ConfigError } from "../../errors.js";
import type { Signature } from "../model/loaded-model.js";
import { audioPreprocessor } from "./audio.js";
import { imagePreprocessor } from "./image.js";
import type { Preprocessor } from "./preprocessor.js";
import { textPreprocessor } from "./text.js";

export function buildPreprocessor(
  spec: Preprocessing,
  modelSignature: Signature,
  files: ReadonlyMap<string, Uint8Array>,
): Preprocessor {
  const kinds = Object.keys(spec);
  if (kinds.length !== 1) throw new ConfigError(`preprocessing must set exactly one of image, audio or text`);
  if ("image" in spec) return imagePreprocessor(spec.image, modelSignature);
  if ("audio" in spec) return audioPreprocessor(spec.audio, modelSignature);
  if ("text" in spec) return textPreprocessor(spec.text, modelSignature, files);
  throw new ConfigError(`preprocessing.${kinds[0]} is not a kind of preprocessing (image, audio, text)`);
}
