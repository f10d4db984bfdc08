/**
 * The real image classifier (EfficientNet-Lite0, hack/build-image-model.sh, docs/models.md) served the way a team would
 * deploy it: with declared image preprocessing and top-k (spec.model.preprocessing / postprocessing, here
 * `serve --model-processing`), so the official clients send the photo files themselves and get labels back —
 * tritonclient HTTP (binary and JSON answers, class_count) and gRPC (class_count), and TF Serving's PredictionService
 * with signature_name set. Each photo's top-1 must be the right class, as test/clients/image-model.test.ts checks for
 * the tensors Pillow prepares.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hackScriptLines, python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

const SCRIPT = path.join(ROOT, "test/clients/image_clients.py");
const MODEL_SHA256 = "e1151b487b4de29a79ecc82361cfa4957829997a1fb31ecca8908ddad4005d1d";
const LABELS_SHA256 = "1b0c1e842afe63343c3d11a78c69e19ee2be9d80d19c5080ea0863f3ef66451e";
/** Picture → the classes its top-1 may be (as image-model.test.ts). */
const PICTURES: [string, number[]][] = [
  ["chelsea.png", [281, 282, 285]], // tabby, tiger cat, Egyptian cat
  ["coffee.png", [967]], // espresso
  ["rocket.jpg", [657]], // missile
  ["motorcycle_left.png", [665]], // moped
];
/** What hack/build-image-model.sh's model takes (docs/models.md): a centred square, 224, (x − 127) / 128. */
const PROCESSING = {
  preprocessing: {
    image: {
      input: "input",
      width: 224,
      height: 224,
      layout: "NCHW",
      channels: "RGB",
      resize: "bilinear",
      crop: "center",
      scale: 1,
      mean: [127, 127, 127],
      std: [128, 128, 128],
    },
  },
  postprocessing: {
    topK: { output: "logits", k: 5, softmax: true, labels: { path: "labels.txt", digest: `sha256:${LABELS_SHA256}` } },
  },
};

interface Strings {
  shape: number[];
  data: string[];
}

/** Per row, the class index of each `score:index:label` string; checks the scores fall and are probabilities. */
function rows(t: Strings): number[][] {
  const [n, k] = t.shape as [number, number];
  return Array.from({ length: n }, (_, r) => {
    const row = t.data.slice(r * k, r * k + k).map((s) => s.split(":"));
    const scores = row.map(([score]) => Number(score));
    for (let i = 1; i < k; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1] as number);
    for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
    return row.map(([, index]) => Number(index));
  });
}

function expectTop1(t: Strings, k: number): void {
  expect(t.shape).toEqual([PICTURES.length, k]);
  rows(t).forEach((r, i) => {
    const [name, allowed] = PICTURES[i] as [string, number[]];
    expect(allowed, `${name}: top-1 ${r[0]} (${t.data[i * k]})`).toContain(r[0]);
  });
}

describe("EfficientNet-Lite0 with declared preprocessing and labels: photo files in, right labels out", {
  timeout: 300_000,
}, () => {
  let py: string;
  let rt: RuntimeProcess;
  let files: string[];

  beforeAll(async () => {
    const [dir] = await hackScriptLines("hack/build-image-model.sh");
    files = PICTURES.map(([p]) => path.join(dir as string, p));
    [py, rt] = await Promise.all([
      venvPython(),
      startRuntime(path.join(dir as string, "model.onnx"), [
        "--model-digest",
        `sha256:${MODEL_SHA256}`,
        "--onnx-threads",
        "2",
        "--max-batch-size",
        "8",
        "--model-processing",
        JSON.stringify(PROCESSING),
      ]),
    ]);
  }, 900_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("tritonclient.http: binary and JSON answers, and class_count 2", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-http", rt.http, "m", "input", "logits", ...files]));
    expect(r.metadata.inputs).toEqual([{ name: "input", datatype: "BYTES", shape: [-1] }]);
    expect(r.metadata.outputs).toEqual([{ name: "logits", datatype: "BYTES", shape: [-1, 5] }]);
    expectTop1(r.binary, 5);
    expect(r.json).toEqual(r.binary);
    expectTop1(r.class_count, 2);
    const label = (r.binary.data[5] as string).split(":").slice(2).join(":");
    expect(label).toBe("espresso");
  });

  it("tritonclient.grpc, class_count as int64_param", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-grpc", rt.grpc, "m", "input", "logits", ...files]));
    expectTop1(r.plain, 5);
    expectTop1(r.class_count, 2);
  });

  it("TF Serving PredictionService (signature_name set): string_val files in", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "tfserving", rt.grpc, "m", "input", "logits", ...files]));
    expectTop1(r.outputs, 5);
  });
});
