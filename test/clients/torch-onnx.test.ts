/**
 * An ONNX file exported by PyTorch itself (`torch.onnx.export`, test/clients/torch_export.py, the venv of
 * hack/torch-venv.sh): a small seeded conv net with a dynamic batch axis, exported with one batch size and served
 * by a real `liftoff-runtime serve --model-format onnx` process with another. Its answers through the official
 * clients — tritonclient HTTP (V2 binary), tritonclient gRPC (V2) and TF Serving's PredictionService (gRPC) — must
 * equal torch's own outputs on the same inputs to 1e-5. Exported with torch's default (the weights in a side file),
 * the runtime refuses the model with advice instead of calling it invalid ONNX.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hackScriptLines, python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

interface Named {
  shape: number[];
  data: number[];
}
interface Reference {
  torch: string;
  inputs: Record<string, Named>;
  outputs: Record<string, Named>;
}

/** Row-major `data` as the nested lists numpy builds an array of `shape` from. */
function nest(data: number[], shape: number[]): unknown {
  if (shape.length <= 1) return data;
  const n = shape[0] as number;
  const step = data.length / n;
  return Array.from({ length: n }, (_, i) => nest(data.slice(i * step, (i + 1) * step), shape.slice(1)));
}

function expectClose(got: number[], want: Named, what: string): void {
  expect(got.length, `${what}: element count`).toBe(want.data.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want.data[i] as number)));
  expect(worst, `${what}: largest |difference| to torch`).toBeLessThanOrEqual(1e-5);
}

const BATCH = 3; // exported with a batch of 2 (torch_export.py)

describe("a PyTorch-exported ONNX model (torch.onnx.export, dynamic batch) reproduces torch's outputs", () => {
  let dir: string;
  let rt: RuntimeProcess;
  let ref: Reference;
  beforeAll(async () => {
    const [py] = await hackScriptLines("hack/torch-venv.sh");
    dir = await mkdtemp(path.join(os.tmpdir(), "liftoff-torch-onnx-"));
    const file = path.join(dir, "model.onnx");
    ref = JSON.parse(
      await python(py as string, [path.join(ROOT, "test/clients/torch_export.py"), file, String(BATCH)]),
    ) as Reference;
    rt = await startRuntime(file, ["--model-format", "onnx", "--onnx-threads", "1"]);
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("metadata: the exporter's names, FP32, and the batch axis symbolic (-1)", async () => {
    expect(ref.torch).toMatch(/^2\.15\.0/);
    const meta = await (await fetch(`http://${rt.http}/v2/models/m`)).json();
    expect(meta).toMatchObject({
      platform: "onnxruntime_onnx",
      inputs: [{ name: "image", datatype: "FP32", shape: [-1, 3, 16, 16] }],
      outputs: [
        { name: "logits", datatype: "FP32", shape: [-1, 10] },
        { name: "probs", datatype: "FP32", shape: [-1, 10] },
      ],
    });
  });

  for (const client of ["triton-http", "triton-grpc", "tfserving"] as const) {
    it(`${client} (official client): logits and probs equal torch's to 1e-5, batch ${BATCH}`, async () => {
      const image = ref.inputs.image as Named;
      const request = JSON.stringify({ inputs: { image: { datatype: "FP32", data: nest(image.data, image.shape) } } });
      const addr = client === "triton-http" ? rt.http : rt.grpc;
      const r = JSON.parse(
        await python(await venvPython(), ["test/clients/official_clients.py", client, addr, "m"], request),
      ) as { outputs: Record<string, unknown[]>; signature?: { inputs: Record<string, string>; outputs: string[] } };
      for (const name of ["logits", "probs"]) {
        const want = ref.outputs[name] as Named;
        const got = r.outputs[name] ?? [];
        expect(got.length, `${client} ${name}: batch`).toBe(BATCH);
        expectClose(got.flat() as number[], want, `${client} ${name}`);
      }
      if (client === "tfserving")
        expect(r.signature).toEqual({ inputs: { image: "DT_FLOAT" }, outputs: ["logits", "probs"] });
    });
  }

  it("the softmax output sums to 1 per row (the two outputs are the net's, not copies)", () => {
    const p = (ref.outputs.probs as Named).data;
    for (let row = 0; row < BATCH; row++) {
      const sum = p.slice(row * 10, row * 10 + 10).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
  });
});

describe("torch.onnx.export's default, the weights in a side file (model.onnx.data)", () => {
  it("liftoff-runtime serve exits 1 naming the side file and the export option, not 'not a valid ONNX model'", async () => {
    const [py] = await hackScriptLines("hack/torch-venv.sh");
    const dir = await mkdtemp(path.join(os.tmpdir(), "liftoff-torch-onnx-ext-"));
    try {
      const file = path.join(dir, "model.onnx");
      await python(py as string, [path.join(ROOT, "test/clients/torch_export.py"), file, "1", "--external-data"]);
      expect((await readdir(dir)).sort()).toEqual(["model.onnx", "model.onnx.data"]);
      const args = ["--import", "tsx", "runtime/src/main.ts", "serve", "--model-uri", file, "--model-name", "m"];
      const ran = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [...args, "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--model-format", "onnx"],
          { cwd: ROOT, timeout: 120_000 },
          (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        );
      });
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(
        `cannot load model ${file}: the model keeps tensors (features.0.weight first) in an external-data side file`,
      );
      expect(ran.stderr).toContain("torch.onnx.export(..., external_data=False)");
      expect(ran.stderr).not.toContain("not a valid ONNX model");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
