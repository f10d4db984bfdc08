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

/** Audio and text: filled in by their preprocessors (issue #25); the runtime refuses them until then. */
export interface AudioPreprocessing {
  input?: string;
  [field: string]: unknown;
}
export interface TextPreprocessing {
  input?: string;
  [field: string]: unknown;
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
