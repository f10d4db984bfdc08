/**
 * The image classifier of issue #25 (docs/models.md): EfficientNet-Lite0 as hack/build-image-model.sh builds it
 * (exported by PyTorch, digest pinned), served by a real `liftoff-runtime serve --model-format onnx` process. Four
 * real photos, prepared by the Python reference (test/clients/image_reference.py: Pillow centre crop, bilinear
 * resize to 224, (x − 127) / 128), go in as one V2 binary batch; the logits must equal onnxruntime's Python build on
 * the same tensor, and the top-1 labels (labels.txt) must be the right ones — so the weights, the export and the
 * label order are all real. Later work (declared image preprocessing) can rely on these files and answers.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hackScriptLines, python, ROOT, type RuntimeProcess, startRuntime } from "./support.js";

interface Named {
  shape: number[];
  data: number[];
}

const MODEL_SHA256 = "e1151b487b4de29a79ecc82361cfa4957829997a1fb31ecca8908ddad4005d1d";
/** Picture → the classes its top-1 may be (ImageNet-1k indices, labels.txt line = index + 1). */
const PICTURES: [string, number[]][] = [
  ["chelsea.png", [281, 282, 285]], // tabby, tiger cat, Egyptian cat
  ["coffee.png", [967]], // espresso
  ["rocket.jpg", [657]], // missile
  ["motorcycle_left.png", [665]], // moped
];

/** V2 binary inference: the tensor's bytes after the JSON header, the logits asked back as bytes too. */
async function inferBinary(http: string, input: Named): Promise<Named> {
  const bytes = Buffer.from(new Float32Array(input.data).buffer);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: "input", datatype: "FP32", shape: input.shape, parameters: { binary_data_size: bytes.length } }],
      parameters: { binary_data_output: true },
    }),
  );
  const r = await fetch(`http://${http}/v2/models/m/infer`, {
    method: "POST",
    headers: { "inference-header-content-length": String(header.length) },
    body: Buffer.concat([header, bytes]),
  });
  expect(r.status).toBe(200);
  const body = Buffer.from(await r.arrayBuffer());
  const n = Number(r.headers.get("inference-header-content-length"));
  const head = JSON.parse(body.subarray(0, n).toString()) as {
    outputs: { name: string; datatype: string; shape: number[] }[];
  };
  expect(head.outputs.map((o) => [o.name, o.datatype])).toEqual([["logits", "FP32"]]);
  const logits = new Float32Array(new Uint8Array(body.subarray(n)).buffer);
  return { shape: head.outputs[0]?.shape ?? [], data: Array.from(logits) };
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best;
}

describe("EfficientNet-Lite0 (PyTorch-exported ONNX, hack/build-image-model.sh): real photos, right top-1", () => {
  let dir: string;
  let rt: RuntimeProcess;
  let ref: { inputs: Record<string, Named>; outputs: Record<string, Named> };
  let labels: string[];
  beforeAll(async () => {
    [dir = ""] = await hackScriptLines("hack/build-image-model.sh");
    const [py] = await hackScriptLines("hack/torch-venv.sh");
    const args = [
      path.join(ROOT, "test/clients/image_reference.py"),
      path.join(dir, "model.onnx"),
      ...PICTURES.map(([file]) => path.join(dir, file)),
    ];
    ref = JSON.parse(await python(py as string, args));
    labels = (await readFile(path.join(dir, "labels.txt"), "utf8")).split("\n").slice(0, -1);
    rt = await startRuntime(path.join(dir, "model.onnx"), [
      "--model-format",
      "onnx",
      "--model-digest",
      `sha256:${MODEL_SHA256}`,
      "--onnx-threads",
      "1",
    ]);
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("labels.txt: the 1000 ImageNet-1k classes in index order", () => {
    expect(labels).toHaveLength(1000);
    expect(labels[0]).toBe("tench, Tinca tinca");
    expect(labels[285]).toBe("Egyptian cat");
    expect(labels[999]).toBe("toilet tissue, toilet paper, bathroom tissue");
  });

  it("metadata: input FP32 [-1,3,224,224] (dynamic batch), output logits FP32 [-1,1000]", async () => {
    const meta = await (await fetch(`http://${rt.http}/v2/models/m`)).json();
    expect(meta).toMatchObject({
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 3, 224, 224] }],
      outputs: [{ name: "logits", datatype: "FP32", shape: [-1, 1000] }],
    });
  });

  it("a batch of the four photos: logits equal onnxruntime (Python) to 1e-5, and each top-1 is right", async () => {
    const got = await inferBinary(rt.http, ref.inputs.input as Named);
    const want = ref.outputs.logits as Named;
    expect(got.shape).toEqual([PICTURES.length, 1000]);
    expect(got.data.length).toBe(want.data.length);
    let worst = 0;
    for (let i = 0; i < got.data.length; i++) {
      worst = Math.max(worst, Math.abs((got.data[i] as number) - (want.data[i] as number)));
    }
    expect(worst, "largest |difference| to onnxruntime (Python)").toBeLessThanOrEqual(1e-5);
    PICTURES.forEach(([file, classes], row) => {
      const top = argmax(got.data.slice(row * 1000, (row + 1) * 1000));
      expect(classes, `${file}: top-1 is ${top} (${labels[top]})`).toContain(top);
    });
  });
});
