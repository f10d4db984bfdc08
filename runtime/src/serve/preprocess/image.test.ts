import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ImagePreprocessing } from "../../contract/processing.js";
import { ConfigError, RuntimeError } from "../../errors.js";
import type { Signature } from "../model/loaded-model.js";
import { centerOffset, centerRegion, decodeImage, imagePreprocessor, resizedSize } from "./image.js";

const spec = (o: Partial<ImagePreprocessing> = {}): ImagePreprocessing => ({
  width: 2,
  height: 2,
  layout: "NCHW",
  channels: "RGB",
  resize: "nearest",
  crop: "none",
  ...o,
});
const sig = (shape: number[], dtype: "float32" | "uint8" = "float32"): Signature => ({
  inputs: [{ name: "pixels", dtype, shape }],
  outputs: [{ name: "scores", dtype: "float32", shape: [-1, 3] }],
  batched: true,
});

/** A 2×2 PNG: red, green / blue, white. */
async function png2x2(): Promise<Uint8Array> {
  const raw = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
  return sharp(raw, { raw: { width: 2, height: 2, channels: 3 } })
    .png()
    .toBuffer();
}

async function rejection(p: Promise<unknown>): Promise<RuntimeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RuntimeError)) throw new Error(`expected a RuntimeError, got ${String(err)}`);
  return err;
}

describe("image preprocessing", () => {
  it("follows torchvision's Resize(int) and CenterCrop arithmetic, and PIL's centred crop", () => {
    expect(resizedSize(640, 427, 256)).toEqual({ width: 383, height: 256 });
    expect(resizedSize(300, 451, 224)).toEqual({ width: 224, height: 336 });
    // round((383 - 224) / 2) = round(79.5) = 80 in Python (halves to even); (256 - 224) / 2 = 16.
    expect(centerOffset(383, 224)).toBe(80);
    expect(centerOffset(381, 224)).toBe(78);
    expect(centerRegion(640, 427, 224, 224)).toEqual({ left: 106, top: 0, width: 427, height: 427 });
  });

  it("writes NCHW RGB and NHWC BGR, normalised by mean and std, one row per file", async () => {
    const file = await png2x2();
    const nchw = imagePreprocessor(spec({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }), sig([-1, 3, 2, 2]));
    expect(nchw.input).toEqual({ name: "pixels", dtype: "bytes", shape: [-1] });
    expect(nchw.produces).toEqual(["pixels"]);
    const [t] = await nchw.run([file, file]);
    expect(t?.shape).toEqual([2, 3, 2, 2]);
    const d = t?.data as Float32Array;
    // R plane, G plane, B plane of pixels red, green, blue, white: (x/255 − 0.5) / 0.5.
    expect(Array.from(d.subarray(0, 12))).toEqual([1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1, 1]);
    expect(Array.from(d.subarray(12))).toEqual(Array.from(d.subarray(0, 12)));
    const nhwc = imagePreprocessor(spec({ layout: "NHWC", channels: "BGR" }), sig([-1, 2, 2, 3], "uint8"));
    const [u] = await nhwc.run([file]);
    expect(u?.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u?.data as Uint8Array)).toEqual([0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255]);
  });

  it("decodes PNG exactly, drops alpha and makes grey RGB", async () => {
    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255, 70, 80, 90, 128, 100, 110, 120, 7]);
    const file = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    expect(Array.from(await decodeImage(file, spec(), "x"))).toEqual([
      10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
    ]);
    const grey = await sharp(Buffer.from([0, 85, 170, 255]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    expect(Array.from(await decodeImage(grey, spec(), "x"))).toEqual([
      0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255,
    ]);
  });

  it("answers 400 naming the input and row for a file that is not an image, a GIF, a truncated file", async () => {
    const pre = imagePreprocessor(spec(), sig([-1, 3, 2, 2]));
    const good = await png2x2();
    const garbage = await rejection(pre.run([good, new TextEncoder().encode("not an image")]));
    expect(garbage.statusCode).toBe(400);
    expect(garbage.message).toBe("input 'pixels' row 1 is not a JPEG or PNG image");
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: "red" } })
      .gif()
      .toBuffer();
    expect((await rejection(pre.run([gif]))).message).toBe("input 'pixels' row 0 is a gif image; send a JPEG or PNG");
    const big = await sharp({ create: { width: 300, height: 200, channels: 3, background: "red" } })
      .jpeg()
      .toBuffer();
    const cut = big.subarray(0, Math.floor(big.length / 2));
    const truncated = await rejection(pre.run([cut]));
    expect(truncated.statusCode).toBe(400);
    expect(truncated.message).toMatch(/^input 'pixels' row 0 cannot be decoded \((truncated|corrupt)\)$/);
  });

  it("refuses an image over the pixel limit from its header, before decoding it", async () => {
    const pre = imagePreprocessor(spec({ maxPixels: 10_000 }), sig([-1, 3, 2, 2]));
    const file = await sharp({ create: { width: 101, height: 100, channels: 3, background: "blue" } })
      .png()
      .toBuffer();
    const err = await rejection(pre.run([file]));
    expect(err.message).toBe("input 'pixels' row 0 is 101×100 = 10100 pixels, more than the limit of 10000");
    // A header claiming 60000 × 60000 with no pixel data behind it: refused by the header, not a decode error.
    const header = Buffer.from(await png2x2());
    header.writeUInt32BE(60_000, 16);
    header.writeUInt32BE(60_000, 20);
    const huge = await rejection(imagePreprocessor(spec(), sig([-1, 3, 2, 2])).run([header]));
    expect(huge.message).toMatch(/is 60000×60000 = 3600000000 pixels, more than the limit of 40000000$/);
  });

  it("refuses at load a spec the model's input cannot take", () => {
    expect(() => imagePreprocessor(spec(), sig([-1, 3, 224, 224]))).toThrow(
      new ConfigError(
        "preprocessing.image: model input 'pixels' has shape [-1,3,224,224], which does not take NCHW [batch,3,2,2] images",
      ),
    );
    expect(() => imagePreprocessor(spec({ input: "image" }), sig([-1, 3, 2, 2]))).toThrow(
      "preprocessing.image.input 'image' is not an input of the model (pixels)",
    );
    expect(() => imagePreprocessor(spec({ mean: [0, 0, 0] }), sig([-1, 3, 2, 2], "uint8"))).toThrow(
      "without mean, std or scale",
    );
    expect(() => imagePreprocessor(spec({ std: [1, 0, 1] }), sig([-1, 3, 2, 2]))).toThrow("std must not be 0");
    expect(() => imagePreprocessor(spec({ resizeShorterTo: 256 }), sig([-1, 3, 2, 2]))).toThrow(
      "resizeShorterTo needs crop: center",
    );
  });
});
