/**
 * Declared image preprocessing and top-k against their Python reference (test/clients/image_preprocess_reference.py:
 * Pillow 13 and numpy, hack/onnx-venv.sh) on real pictures (hack/test-pictures.sh: chelsea.png, coffee.png,
 * rocket.jpg from the scikit-image wheel). Tolerances, stated in docs/modeldeployment.md: decoding equals Pillow
 * exactly (PNG and this JPEG: libvips' mozjpeg and Pillow's libjpeg-turbo decode it alike; measured 0); the
 * cropped, resized and normalised tensor within 12 levels of 255 per value and 0.5 on average (libvips' antialiasing
 * filters are not Pillow's; measured at most 11 — rocket.jpg squeezed from 640×427 to 160×120 — and at most 0.38 on
 * average, 0.22 for the square crops); top-k indices and labels equal, scores within 1e-6.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePreprocessing } from "../../runtime/src/contract/processing.js";
import type { Signature } from "../../runtime/src/serve/model/loaded-model.js";
import { topK } from "../../runtime/src/serve/postprocess/top-k.js";
import { decodeImage, imagePreprocessor } from "../../runtime/src/serve/preprocess/image.js";
import { python, ROOT } from "./support.js";

function scriptLine(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, script)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${script} exited ${code}`))));
  });
}

const PICTURES = ["chelsea.png", "coffee.png", "rocket.jpg"];
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const base = { layout: "NCHW", channels: "RGB", resize: "bilinear", crop: "center" } as const;
/** What each spec is checked to: [largest, mean] |difference| in 0–255 levels. */
const SPECS: { name: string; spec: ImagePreprocessing; levels: [number, number] }[] = [
  // EfficientNet-Lite0 (hack/build-image-model.sh): centred square, 224, (x − 127) / 128.
  {
    name: "lite",
    spec: { ...base, width: 224, height: 224, scale: 1, mean: [127, 127, 127], std: [128, 128, 128] },
    levels: [12, 0.5],
  },
  // torchvision's ImageNet recipe: Resize(256), CenterCrop(224), ToTensor, Normalize.
  {
    name: "torchvision",
    spec: { ...base, width: 224, height: 224, resizeShorterTo: 256, ...IMAGENET },
    levels: [12, 0.5],
  },
  {
    name: "nhwc-bgr",
    spec: { ...base, layout: "NHWC", channels: "BGR", crop: "none", width: 160, height: 120 },
    levels: [12, 0.5],
  },
  { name: "bicubic", spec: { ...base, resize: "bicubic", width: 128, height: 128 }, levels: [12, 0.5] },
];
const ROWS = 4;
const CLASSES = 1000;
const K = 5;

let out: string;
let pictures: string;
let logits: Float32Array;

beforeAll(async () => {
  pictures = await scriptLine("hack/test-pictures.sh");
  const py = await scriptLine("hack/onnx-venv.sh");
  out = await mkdtemp(path.join(tmpdir(), "liftoff-image-ref-"));
  const cases = PICTURES.flatMap((p) =>
    SPECS.map((s) => ({ name: `${p}-${s.name}`, picture: path.join(pictures, p), spec: s.spec })),
  );
  await writeFile(path.join(out, "cases.json"), JSON.stringify(cases));
  // Deterministic logits with a spread like a classifier's (an LCG; no Math.random in a reference test).
  let s = 12345;
  logits = Float32Array.from({ length: ROWS * CLASSES }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 12 - 6;
  });
  await writeFile(path.join(out, "logits.f32"), Buffer.from(logits.buffer));
  await python(py, [
    path.join(ROOT, "test/clients/image_preprocess_reference.py"),
    out,
    path.join(out, "cases.json"),
    path.join(out, "logits.f32"),
    String(ROWS),
    String(CLASSES),
    String(K),
  ]);
}, 600_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

const sig = (spec: ImagePreprocessing): Signature => ({
  inputs: [
    {
      name: "x",
      dtype: "float32",
      shape: spec.layout === "NCHW" ? [-1, 3, spec.height, spec.width] : [-1, spec.height, spec.width, 3],
    },
  ],
  outputs: [],
  batched: true,
});

describe("image preprocessing equals Pillow + numpy on real pictures", () => {
  it.each(PICTURES)("%s decodes exactly as Pillow does", async (p) => {
    const bytes = await readFile(path.join(pictures, p));
    const want = await readFile(path.join(out, `${p}-lite.decoded.u8`));
    // crop none at the picture's own size: the decoded pixels as they are.
    const { default: sharp } = await import("sharp");
    const { width, height } = await sharp(bytes).metadata();
    const spec = { ...base, crop: "none" as const, width: width as number, height: height as number };
    const got = await decodeImage(bytes, spec, "x");
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
    expect(worst, "largest |difference| to Pillow's decode").toBe(0);
  });

  it.each(PICTURES.flatMap((p) => SPECS.map((s) => [p, s.name] as const)))("%s, %s", async (p, name) => {
    const { spec, levels } = SPECS.find((s) => s.name === name) as (typeof SPECS)[number];
    const bytes = await readFile(path.join(pictures, p));
    const [t] = await imagePreprocessor(spec, sig(spec)).run([bytes]);
    const want = new Float32Array((await readFile(path.join(out, `${p}-${name}.tensor.f32`))).buffer.slice(0));
    const got = t?.data as Float32Array;
    expect(got.length).toBe(want.length);
    // One level of 255 in this spec's units (the largest of the channels).
    const scale = spec.scale ?? (spec.mean || spec.std ? 1 / 255 : 1);
    const level = Math.max(...(spec.std ?? [1, 1, 1]).map((s) => scale / s));
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs((got[i] as number) - (want[i] as number)) / level;
      worst = Math.max(worst, d);
      sum += d;
    }
    expect(worst, "largest |difference| to Pillow, in levels").toBeLessThanOrEqual(levels[0]);
    expect(sum / got.length, "mean |difference| to Pillow, in levels").toBeLessThanOrEqual(levels[1]);
  });
});

describe("top-k equals numpy", () => {
  it("softmax, the 5 highest per row, score:index:label", async () => {
    const want = JSON.parse(await readFile(path.join(out, "topk.json"), "utf8")) as string[][];
    const labels = Array.from({ length: CLASSES }, (_, i) => `label-${i}`);
    const t = topK(
      { data: logits, shape: [ROWS, CLASSES], dtype: "float32" },
      { k: K, softmax: true, labels, output: "y" },
    );
    const got = (t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b));
    expect(t.shape).toEqual([ROWS, K]);
    const parse = (s: string) => {
      const [score, index, label] = s.split(":");
      return { score: Number(score), rest: `${index}:${label}` };
    };
    want.flat().forEach((w, i) => {
      const a = parse(got[i] as string);
      const b = parse(w);
      expect(a.rest).toBe(b.rest);
      expect(Math.abs(a.score - b.score)).toBeLessThanOrEqual(1e-6);
    });
  });
});
