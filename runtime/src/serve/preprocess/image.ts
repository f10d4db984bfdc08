/**
 * Declared image preprocessing (spec.model.preprocessing.image): each row of the BYTES input is one JPEG or PNG file,
 * decoded by sharp (libvips), centre-cropped and resized as torchvision's Resize + CenterCrop do, and written into the
 * model's image input in its layout and channel order, normalised by mean/std. The header is read first and an image
 * over the pixel limit is refused before anything is decoded; sharp is told the same limit, so a header that lies
 * cannot get past it either.
 */
import sharp, { type Metadata } from "sharp";
import { DEFAULT_MAX_PIXELS, type ImagePreprocessing } from "../../contract/processing.js";
import { ConfigError, errors } from "../../errors.js";
import type { Signature, Tensor, TensorSpec } from "../model/loaded-model.js";
import type { Preprocessor } from "./preprocessor.js";

const KERNEL = { bilinear: "linear", nearest: "nearest", bicubic: "cubic" } as const;

/** Python's round(): halves to even, as torchvision's CenterCrop computes its offsets. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision Resize(int): the shorter side becomes `size`, the longer one scales and truncates. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.floor((size * height) / width) };
  return { width: Math.floor((size * width) / height), height: size };
}

/** torchvision CenterCrop: the offsets of a crop of `crop` out of `full`. */
export function centerOffset(full: number, crop: number): number {
  return roundHalfEven((full - crop) / 2);
}

/** The largest region of aspect width:height centred in the image, offsets floored (Python's //). */
export function centerRegion(w: number, h: number, width: number, height: number) {
  const cw = Math.min(w, Math.floor((h * width) / height));
  const ch = Math.min(h, Math.floor((w * height) / width));
  return { left: Math.floor((w - cw) / 2), top: Math.floor((h - ch) / 2), width: cw, height: ch };
}

/** What the spec means for the numbers: per-channel multiply and add, (x · scale − mean) / std = x · a + b. */
function affine(spec: ImagePreprocessing): { a: number[]; b: number[] } {
  const normalised = spec.mean !== undefined || spec.std !== undefined;
  const scale = spec.scale ?? (normalised ? 1 / 255 : 1);
  const mean = spec.mean ?? [0, 0, 0];
  const std = spec.std ?? [1, 1, 1];
  return { a: std.map((s) => scale / s), b: mean.map((m, c) => -m / (std[c] as number)) };
}

function checkSpec(spec: ImagePreprocessing, target: TensorSpec): void {
  const bad = (m: string) => new ConfigError(`preprocessing.image: ${m}`);
  for (const [k, v] of [
    ["width", spec.width],
    ["height", spec.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 8192) throw bad(`${k} must be an integer from 1 to 8192, not ${v}`);
  }
  if (spec.layout !== "NCHW" && spec.layout !== "NHWC") throw bad(`layout must be NCHW or NHWC`);
  if (spec.channels !== "RGB" && spec.channels !== "BGR") throw bad(`channels must be RGB or BGR`);
  if (!(spec.resize in KERNEL)) throw bad(`resize must be one of ${Object.keys(KERNEL).join(", ")}`);
  if (spec.crop !== "center" && spec.crop !== "none") throw bad(`crop must be center or none`);
  const shorter = spec.resizeShorterTo;
  if (shorter !== undefined) {
    if (spec.crop !== "center") throw bad("resizeShorterTo needs crop: center");
    if (!Number.isInteger(shorter) || shorter < Math.max(spec.width, spec.height) || shorter > 16384)
      throw bad(`resizeShorterTo must be an integer from max(width, height) to 16384, not ${shorter}`);
  }
  for (const k of ["mean", "std"] as const) {
    const v = spec[k];
    if (v !== undefined && (v.length !== 3 || v.some((x) => !Number.isFinite(x))))
      throw bad(`${k} must be 3 finite numbers, one per channel`);
  }
  if (spec.std?.some((s) => s === 0)) throw bad("std must not be 0");
  if (spec.scale !== undefined && !(Number.isFinite(spec.scale) && spec.scale > 0)) throw bad("scale must be > 0");
  const maxPixels = spec.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1) throw bad("maxPixels must be a positive integer");
  // The model's input must be able to take what comes out.
  if (target.dtype !== "float32" && target.dtype !== "uint8")
    throw bad(`model input '${target.name}' is ${target.dtype}; image preprocessing fills float32 or uint8 inputs`);
  if (target.dtype === "uint8" && (spec.mean !== undefined || spec.std !== undefined || spec.scale !== undefined))
    throw bad(`model input '${target.name}' is uint8: it takes the pixels as they are, without mean, std or scale`);
  const want = spec.layout === "NCHW" ? [3, spec.height, spec.width] : [spec.height, spec.width, 3];
  const got = target.shape;
  if (got.length !== 4 || want.some((d, i) => got[i + 1] !== -1 && got[i + 1] !== d)) {
    throw bad(
      `model input '${target.name}' has shape [${got.join(",")}], which does not take ${spec.layout} [batch,${want.join(",")}] images`,
    );
  }
}

/** The model input the image goes to: the named one, or the only one. */
function targetOf(spec: ImagePreprocessing, signature: Signature): TensorSpec {
  if (spec.input !== undefined) {
    const t = signature.inputs.find((s) => s.name === spec.input);
    if (t === undefined) {
      throw new ConfigError(
        `preprocessing.image.input '${spec.input}' is not an input of the model (${signature.inputs.map((s) => s.name).join(", ")})`,
      );
    }
    return t;
  }
  if (signature.inputs.length !== 1) {
    throw new ConfigError(
      `preprocessing.image.input must name one of the model's inputs (${signature.inputs.map((s) => s.name).join(", ")})`,
    );
  }
  return signature.inputs[0] as TensorSpec;
}

/** Decodes, crops and resizes one file into packed 8-bit RGB of width × height; bad files are a 400. */
export async function decodeImage(bytes: Uint8Array, spec: ImagePreprocessing, what: string): Promise<Buffer> {
  const maxPixels = spec.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: Metadata;
  try {
    // The header only: nothing is decoded yet.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw errors.invalidInput(`${what} is not a JPEG or PNG image`);
  }
  if (meta.format !== "jpeg" && meta.format !== "png")
    throw errors.invalidInput(`${what} is a ${meta.format} image; send a JPEG or PNG`);
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w < 1 || h < 1) throw errors.invalidInput(`${what} has no width or height`);
  if (w * h > maxPixels)
    throw errors.invalidInput(`${what} is ${w}×${h} = ${w * h} pixels, more than the limit of ${maxPixels}`);
  const kernel = KERNEL[spec.resize];
  // ignoreIcc: the stored values, as Pillow (and so torchvision's training pipelines) reads them.
  let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: "truncated", ignoreIcc: true }).toColourspace(
    "srgb",
  );
  const resize = { fit: "fill", kernel, fastShrinkOnLoad: false } as const;
  if (spec.crop === "center" && spec.resizeShorterTo !== undefined) {
    // torchvision Resize(resizeShorterTo) then CenterCrop(height, width).
    const size = resizedSize(w, h, spec.resizeShorterTo);
    pipeline = pipeline.resize(size.width, size.height, resize).extract({
      left: centerOffset(size.width, spec.width),
      top: centerOffset(size.height, spec.height),
      width: spec.width,
      height: spec.height,
    });
  } else if (spec.crop === "center") {
    // The largest centred region of the target's aspect ratio, then resized (PIL crop + resize).
    const region = centerRegion(w, h, spec.width, spec.height);
    pipeline = pipeline.extract(region).resize(spec.width, spec.height, resize);
  } else {
    pipeline = pipeline.resize(spec.width, spec.height, resize);
  }
  try {
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== spec.width || info.height !== spec.height)
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
    return data;
  } catch (err) {
    const detail = (err as Error).message.split("\n")[0] ?? "";
    throw errors.invalidInput(
      `${what} cannot be decoded (${/truncat|premature|end of/i.test(detail) ? "truncated" : "corrupt"})`,
    );
  }
}

/** Writes one decoded RGB image into row `row` of the model's input, in its layout and channel order. */
function writePixels(
  rgb: Uint8Array,
  spec: ImagePreprocessing,
  out: Float32Array | Uint8Array,
  row: number,
  a: readonly number[],
  b: readonly number[],
): void {
  const hw = spec.width * spec.height;
  const base = row * hw * 3;
  const order = spec.channels === "RGB" ? [0, 1, 2] : [2, 1, 0];
  const float = out instanceof Float32Array;
  for (let c = 0; c < 3; c++) {
    const src = order[c] as number;
    const ac = a[c] as number;
    const bc = b[c] as number;
    for (let p = 0; p < hw; p++) {
      const v = rgb[p * 3 + src] as number;
      const at = spec.layout === "NCHW" ? base + c * hw + p : base + p * 3 + c;
      out[at] = float ? v * ac + bc : v;
    }
  }
}

export function imagePreprocessor(spec: ImagePreprocessing, signature: Signature): Preprocessor {
  const target = targetOf(spec, signature);
  checkSpec(spec, target);
  const { a, b } = affine(spec);
  const per = spec.width * spec.height * 3;
  const shape = (n: number) =>
    spec.layout === "NCHW" ? [n, 3, spec.height, spec.width] : [n, spec.height, spec.width, 3];
  return {
    input: { name: target.name, dtype: "bytes", shape: [target.shape[0] as number] },
    produces: [target.name],
    async run(items) {
      const settled = await Promise.allSettled(
        items.map((bytes, i) => decodeImage(bytes, spec, `input '${target.name}' row ${i}`)),
      );
      // The first bad row by position, whichever decode finished first: the same file gets the same answer.
      const decoded = settled.map((s) => {
        if (s.status === "rejected") throw s.reason;
        return s.value;
      });
      const data = target.dtype === "uint8" ? new Uint8Array(items.length * per) : new Float32Array(items.length * per);
      decoded.forEach((rgb, i) => {
        writePixels(rgb, spec, data, i, a, b);
      });
      const tensor: Tensor = { data, shape: shape(items.length) };
      return [tensor];
    },
  };
}
