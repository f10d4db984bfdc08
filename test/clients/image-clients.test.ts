/**
 * Declared image preprocessing and top-k through a real `liftoff-runtime serve` process and the official clients:
 * tritonclient HTTP (binary and JSON) and gRPC, with and without class_count, and TF Serving's PredictionService
 * (signature_name set). The model is a real ONNX graph (Flatten of the NCHW pixels: each of the 12 values of a 2×2
 * RGB picture is one "class"), so every answer can be worked out by hand from the pictures' pixels.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ELEM, onnxModel } from "../../runtime/src/serve/model/onnx-test-model.js";
import { tempDir } from "../../runtime/src/serve/test-helpers.js";
import { python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

const SCRIPT = path.join(ROOT, "test/clients/image_clients.py");
const LABELS = `${["R", "G", "B"].flatMap((c) => [0, 1, 2, 3].map((p) => `${c}${p}`)).join("\n")}\n`;

/** A 2×2 RGB PNG, pixels in row order. */
const picture = (px: number[][]) =>
  sharp(Buffer.from(px.flat()), { raw: { width: 2, height: 2, channels: 3 } })
    .png()
    .toBuffer();

describe("an image model with labels through the official clients", { timeout: 300_000 }, () => {
  let py: string;
  let rt: RuntimeProcess;
  let files: string[];

  beforeAll(async () => {
    const dir = await tempDir("liftoff-image-clients-");
    await writeFile(
      path.join(dir, "model.onnx"),
      onnxModel(
        [{ name: "input", elem: ELEM.float, dims: ["batch", 3, 2, 2] }],
        [{ name: "scores", elem: ELEM.float, dims: ["batch", 12] }],
        [{ op: "Flatten", inputs: ["input"], outputs: ["scores"], attrs: { axis: 1 } }],
      ),
    );
    await writeFile(path.join(dir, "labels.txt"), LABELS);
    const digest = `sha256:${createHash("sha256").update(LABELS).digest("hex")}`;
    // Picture a: the blue of pixel 3 is highest, then the red of pixel 0; picture b: green of pixel 1, then 2.
    const a = await picture([
      [200, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 250],
    ]);
    const b = await picture([
      [0, 0, 0],
      [0, 240, 0],
      [0, 180, 0],
      [0, 0, 0],
    ]);
    files = [path.join(dir, "a.png"), path.join(dir, "b.png")];
    await writeFile(files[0] as string, a);
    await writeFile(files[1] as string, b);
    const processing = {
      preprocessing: {
        image: { width: 2, height: 2, layout: "NCHW", channels: "RGB", resize: "nearest", crop: "none" },
      },
      postprocessing: { topK: { k: 3, labels: { path: "labels.txt", digest } } },
    };
    [py, rt] = await Promise.all([
      venvPython(),
      startRuntime(path.join(dir, "model.onnx"), [
        "--onnx-threads",
        "1",
        "--max-batch-size",
        "8",
        "--model-processing",
        JSON.stringify(processing),
      ]),
    ]);
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  const TOP3 = {
    shape: [2, 3],
    data: [
      "250.000000:11:B3",
      "200.000000:0:R0",
      "0.000000:1:R1",
      "240.000000:5:G1",
      "180.000000:6:G2",
      "0.000000:0:R0",
    ],
  };
  const TOP2 = { shape: [2, 2], data: [TOP3.data[0], TOP3.data[1], TOP3.data[3], TOP3.data[4]] };

  it("tritonclient.http: files in as binary BYTES, labels out as binary and as JSON; class_count answered", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-http", rt.http, "m", "input", "scores", ...files]));
    expect(r.metadata.inputs).toEqual([{ name: "input", datatype: "BYTES", shape: [-1] }]);
    expect(r.metadata.outputs).toEqual([{ name: "scores", datatype: "BYTES", shape: [-1, 3] }]);
    expect(r.binary).toEqual(TOP3);
    expect(r.json).toEqual(TOP3);
    expect(r.class_count).toEqual(TOP2);
  });

  it("tritonclient.grpc: the same, class_count as int64_param", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-grpc", rt.grpc, "m", "input", "scores", ...files]));
    expect(r.plain).toEqual(TOP3);
    expect(r.class_count).toEqual(TOP2);
  });

  it("TF Serving PredictionService (signature_name set): string_val files in, labels out", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "tfserving", rt.grpc, "m", "input", "scores", ...files]));
    expect(r.outputs).toEqual(TOP3);
  });

  it("V1 REST (:predict) and a bad file: a 400 naming the input and row, the server still answers", async () => {
    const a = await picture([
      [200, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 250],
    ]);
    const ok = await fetch(`http://${rt.http}/v1/models/m:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: [{ b64: a.toString("base64") }] }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ predictions: [TOP3.data.slice(0, 3)] });
    const bad = await fetch(`http://${rt.http}/v2/models/m/infer`, {
      method: "POST",
      body: JSON.stringify({
        inputs: [{ name: "input", datatype: "BYTES", shape: [2], data: ["not a picture", "nor this"] }],
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "input 'input' row 0 is not a JPEG or PNG image",
      code: "LIFTOFF_ERR_INVALID_INPUT",
    });
    expect((await fetch(`http://${rt.http}/v2/health/ready`)).status).toBe(200);
  });
});
