/**
 * BYTES (strings), FP16 and BOOL through the official clients against a real runtime process: a real ONNX model
 * (textHalfBoolOnnx: Identity on strings, Cast float16 ↔ float32, Not on bool) served by `liftoff-runtime serve`,
 * called by tritonclient.http (binary tensor data and JSON), tritonclient.grpc, tensorflow-serving-api (make_tensor_proto
 * and typed *_val fields) and TF Serving REST (strings and {"b64"}), each answer equal to the value to what
 * onnxruntime's Python build computes on the same inputs (test/clients/dtypes_clients.py, hack/onnx-venv.sh).
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textHalfBoolOnnx } from "../../runtime/src/serve/model/onnx-test-model.js";
import { tempDir } from "../../runtime/src/serve/test-helpers.js";
import { python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

interface Out {
  dtype: string;
  shape: number[];
  data: (string | number | boolean)[];
}
type Outputs = Record<string, Out>;

/** Strings (a tab, non-ASCII, empty; a NUL is refused for ONNX models, onnx-dtypes.test.ts), halves (rounded, subnormal, ±max, -0), floats to cast, bools. */
const REQUEST = {
  text: [
    ["héllo", "日本"],
    ["", "a b"],
    ["Ωmega", "tab\there"],
  ],
  half: [
    [0.5, -2, 65504],
    [0.1, 6e-8, -0],
    [0.3333, 1000.5, -65504],
  ],
  x: [
    [0.1, 1, -3],
    [2.5, 1e-8, 1234.567],
    [-0, 3.3, 65519],
  ],
  flag: [
    [true, false],
    [false, false],
    [true, true],
  ],
};

/** The python a hack/ venv script prints on stdout, after it built the venv if needed. */
function venvOf(script: string): Promise<string> {
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

const SCRIPT = "test/clients/dtypes_clients.py";
/** JSON has no -0 (JSON.stringify writes 0): compared as 0 where the values travelled as JSON numbers. */
const noNegativeZero = (o: Outputs): Outputs =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, { ...v, data: v.data.map((d) => (Object.is(d, -0) ? 0 : d)) }]),
  );

describe("BYTES, FP16 and BOOL through the official clients, equal to onnxruntime (Python)", {
  timeout: 300_000,
}, () => {
  let py: string;
  let rt: RuntimeProcess;
  let ref: Outputs;
  const request = JSON.stringify(REQUEST);

  beforeAll(async () => {
    const file = path.join(await tempDir("liftoff-dtypes-"), "model.onnx");
    await writeFile(file, textHalfBoolOnnx());
    const [clientsPy, refPy, runtime] = await Promise.all([
      venvPython(),
      venvOf("hack/onnx-venv.sh"),
      startRuntime(file, ["--onnx-threads", "1", "--max-batch-size", "8"]),
    ]);
    py = clientsPy;
    rt = runtime;
    ref = JSON.parse(await python(refPy, [SCRIPT, "reference", file], request));
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("the reference is what the model says: strings echoed, halves rounded by numpy, casts, negation", () => {
    expect(ref.text_out?.data).toEqual(REQUEST.text.flat());
    expect(ref.half_out?.dtype).toBe("float16");
    expect(ref.half_out?.data.slice(3, 5)).toEqual([0.0999755859375, 2 ** -24]);
    expect(ref.flag_not?.data).toEqual(REQUEST.flag.flat().map((b) => !b));
  });

  it("tritonclient.http: binary tensors bit-exact, JSON (binary_data=False) equal; metadata names BYTES, FP16, BOOL", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-http", rt.http, "m"], request));
    expect(r.metadata).toEqual({
      text: "BYTES",
      half: "FP16",
      x: "FP32",
      flag: "BOOL",
      text_out: "BYTES",
      half_out: "FP16",
      half_as_float: "FP32",
      x_as_half: "FP16",
      flag_not: "BOOL",
    });
    expect(r.binary).toEqual(ref);
    expect(r.json).toEqual(noNegativeZero(ref));
  });

  it("tritonclient.grpc: raw_input_contents (length-prefixed BYTES, FP16 bits) in and out, bit-exact", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "triton-grpc", rt.grpc, "m"], request));
    expect(r.metadata.text).toBe("BYTES");
    expect(r.outputs).toEqual(ref);
  });

  it("tensorflow-serving-api: make_tensor_proto and string_val/half_val/bool_val by hand; DT_STRING, DT_HALF out", async () => {
    const r = JSON.parse(await python(py, [SCRIPT, "tfserving", rt.grpc, "m"], request));
    expect(r.metadata).toMatchObject({ text: "DT_STRING", half: "DT_HALF", flag: "DT_BOOL", text_out: "DT_STRING" });
    expect(r.made).toEqual(ref);
    expect(r.by_hand).toEqual(ref);
  });

  it('TF Serving REST: instances with strings and {"b64"} strings, predictions equal the reference', async () => {
    const b64 = (s: string) => ({ b64: Buffer.from(s).toString("base64") });
    const instances = REQUEST.text.map((text, i) => ({
      text: [text[0], b64(text[1] as string)],
      half: REQUEST.half[i],
      x: REQUEST.x[i],
      flag: REQUEST.flag[i],
    }));
    const res = await fetch(`http://${rt.http}/v1/models/m:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances }),
    });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: Record<string, (string | number | boolean)[]>[] };
    const want = noNegativeZero(ref);
    for (const [name, out] of Object.entries(want)) {
      expect([name, predictions.flatMap((p) => p[name] ?? [])]).toEqual([name, out.data]);
    }
  });
});
