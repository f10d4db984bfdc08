// spec.model.preprocessing and spec.model.postprocessing as the operator passes them to serving pods (one JSON in
// LIFTOFF_MODEL_PROCESSING) and `serve` parses them (runtime/src/config.ts). The CRD schema
// (operator/src/api/v1alpha1/modeldeployment.ts) spells the same fields; the runtime checks them again, since
// `serve --model-processing` can be given by hand.

/** A file beside the model in its artifact folder, pinned by its own sha256 (ONNX digests cover the model file only). */
export interface SideFile {
  /** Relative to the model's folder; no `..`, no absolute path. */
  path: string;
  /** sha256:<64 hex> the file's bytes must match before they are used. */
  digest: string;
}

/** Decode an image file (JPEG, PNG), crop, resize and normalise it into the model's image input. */
export interface ImagePreprocessing {
  /** The model input the pixels go to; clients send the encoded file under the same name (default: the only input). */
  input?: string;
  width: number;
  height: number;
  layout: "NCHW" | "NHWC";
  channels: "RGB" | "BGR";
  resize: "bilinear" | "nearest" | "bicubic";
  /**
   * center: cut the largest centred region of the aspect width:height, then resize it (PIL crop + resize); with
   * `resizeShorterTo`, torchvision's Resize(resizeShorterTo) + CenterCrop instead. none: resize to width × height.
   */
  crop: "center" | "none";
  resizeShorterTo?: number;
  /** Per channel (in `channels` order), on values scaled to 0–1 by `scale`: (x · scale − mean) / std. */
  mean?: number[];
  std?: number[];
  /** Multiplies the 0–255 values first (default 1/255 with mean/std, else 1). */
  scale?: number;
  /** Largest decoded image, in pixels (width × height from the header, checked before decoding). */
  maxPixels?: number;
}

/** Decode a WAV file per row, mix to mono and resample it into the model's audio input (serve/preprocess/audio.ts). */
export interface AudioPreprocessing {
  /** The model input the samples go to (default: the only input not in `zeros`); clients send the WAV under it. */
  input?: string;
  /** The rate the model takes, in Hz: every file is resampled to it. */
  sampleRate: number;
  /** A longer file is refused (400) before its samples are decoded. */
  maxSeconds: number;
  /** One file as rows of `context + frame` samples, each frame after the previous frame's last `context`. */
  framing?: { frame: number; context: number };
  /** Model inputs fed zeros of their own fixed shape and dtype (a recurrent model's initial state). */
  zeros?: string[];
}

/** Tokenize UTF-8 texts with the model's own tokenizer.json into its id inputs (serve/preprocess/text.ts). */
export interface TextPreprocessing {
  /** The BYTES input clients send their texts in, one per row (default "text"). */
  input?: string;
  /** The model's tokenizer.json. */
  tokenizer: SideFile;
  /** Its tokenizer_config.json, when the tokenizer needs one. */
  tokenizerConfig?: SideFile;
  /** The most tokens a text may have, special tokens included. */
  maxLength: number;
  /** Cut a longer text to maxLength instead of refusing it (400). Default false. */
  truncate?: boolean;
  /** The model inputs the token ids, attention mask and token type ids go to. */
  inputs: { ids: string; attentionMask?: string; tokenTypeIds?: string };
  /** The padding id; default: tokenizer.json's padding.pad_id, else its [PAD] token's id. */
  pad?: number;
}

export type Preprocessing = { image: ImagePreprocessing } | { audio: AudioPreprocessing } | { text: TextPreprocessing };

/** Top-k over a score output: `score:index:label` strings as Triton's classification extension writes them. */
export interface TopK {
  /** The model output of scores (default: the only output). */
  output?: string;
  k: number;
  /** Apply softmax over the last dimension first (for logits). */
  softmax?: boolean;
  /** One label a line, line i naming class i. */
  labels?: SideFile;
}

export interface Postprocessing {
  topK?: TopK;
}

export interface ModelProcessing {
  preprocessing?: Preprocessing;
  postprocessing?: Postprocessing;
}

/** The default pixel limit: 40 megapixels (a 7300 × 5500 photo), about 120 MB of RGB once decoded. */
export const DEFAULT_MAX_PIXELS = 40_000_000;
