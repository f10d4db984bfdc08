/**
 * A SavedModel written by TensorFlow itself (test/clients/savedmodel_reference.py, the clients venv's tensorflow-cpu:
 * a seeded conv + dense `serving_default`, an int64/bool `by_id` and an unknown-rank `any_rank`) served by a real
 * `liftoff-runtime serve` process per signature. Every answer — V2 HTTP JSON and binary, V2 gRPC, tritonclient HTTP and gRPC, and the TF
 * Serving gRPC client with `signature_name` set — equals what TensorFlow computed on the same inputs, to 1e-5
 * (integers exactly). Then the bad inputs of issue #25 for this format.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activate } from "../../runtime/src/backends.js";
import { ConfigError } from "../../runtime/src/errors.js";
import { fetchSavedModelArtifact } from "../../runtime/src/savedmodel-artifact.js";
import { clients } from "../../runtime/src/serve/grpc/protos.js";
import { RuntimeMetrics } from "../../runtime/src/serve/metrics.js";
import { loadSavedModel } from "../../runtime/src/serve/model/savedmodel.js";
import { ModelHost } from "../../runtime/src/serve/model-host.js";
import { python, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

interface Named {
  shape: number[];
  dtype: string;
  data: number[];
}
type Reference = Record<string, { inputs: Record<string, Named>; outputs: Record<string, Named> }>;

const V2: Record<string, string> = { float32: "FP32", int32: "INT32", int64: "INT64", bool: "BOOL" };

/** Float outputs to 1e-5 of TensorFlow's; integer ones exactly. */
function expectSame(got: ArrayLike<number | bigint>, want: Named, what: string): void {
  expect(got.length, `${what}: element count`).toBe(want.data.length);
  const values = Array.from(got, Number);
  if (want.dtype === "float32") {
    let worst = 0;
    values.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - (want.data[i] as number)));
    });
    expect(worst, `${what}: largest |difference| to TensorFlow`).toBeLessThanOrEqual(1e-5);
  } else {
    expect(values, what).toEqual(want.data);
  }
}

function rawBytes(t: Named): Buffer {
  switch (t.dtype) {
    case "int64":
      return Buffer.from(new BigInt64Array(t.data.map(BigInt)).buffer);
    case "bool":
      return Buffer.from(Uint8Array.from(t.data));
    default:
      return Buffer.from(new Float32Array(t.data).buffer);
  }
}

function fromBytes(b: Uint8Array, datatype: string): number[] {
  const copy = new Uint8Array(b).buffer;
  if (datatype === "INT64") return Array.from(new BigInt64Array(copy), Number);
  if (datatype === "INT32") return Array.from(new Int32Array(copy));
  if (datatype === "BOOL") return Array.from(new Uint8Array(copy));
  return Array.from(new Float32Array(copy));
}

type Outs = Record<string, { shape: number[]; data: number[] }>;

/** The three V2 transports with the reference's inputs, each giving outputs by name. */
function transports(rt: RuntimeProcess, inputs: Record<string, Named>) {
  const url = `http://${rt.http}/v2/models/m/infer`;
  const names = Object.keys(inputs);
  const json = async (): Promise<Outs> => {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: names.map((n) => {
          const t = inputs[n] as Named;
          const data = t.dtype === "bool" ? t.data.map((v) => v === 1) : t.data;
          return { name: n, datatype: V2[t.dtype], shape: t.shape, data };
        }),
      }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { outputs: { name: string; shape: number[]; data: (number | boolean)[] }[] };
    return Object.fromEntries(body.outputs.map((o) => [o.name, { shape: o.shape, data: o.data.map(Number) }]));
  };
  const binary = async (): Promise<Outs> => {
    const parts = names.map((n) => rawBytes(inputs[n] as Named));
    const header = Buffer.from(
      JSON.stringify({
        inputs: names.map((n, k) => ({
          name: n,
          datatype: V2[(inputs[n] as Named).dtype],
          shape: (inputs[n] as Named).shape,
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
        const size = o.parameters.binary_data_size;
        const data = fromBytes(bytes.subarray(at, at + size), o.datatype);
        at += size;
        return [o.name, { shape: o.shape, data }];
      }),
    );
  };
  const client = new (clients().Inference)(rt.grpc, grpc.credentials.createInsecure());
  const grpcInfer = () =>
    new Promise<Outs>((resolve, reject) => {
      const req = {
        model_name: "m",
        inputs: names.map((n) => ({
          name: n,
          datatype: V2[(inputs[n] as Named).dtype],
          shape: (inputs[n] as Named).shape,
        })),
        raw_input_contents: names.map((n) => rawBytes(inputs[n] as Named)),
      };
      (client as unknown as Record<string, (...a: unknown[]) => void>).ModelInfer?.(
        req,
        (
          err: Error | null,
          res: { outputs: { name: string; datatype: string; shape: number[] }[]; raw_output_contents: Buffer[] },
        ) => {
          if (err) return reject(err);
          resolve(
            Object.fromEntries(
              res.outputs.map((o, k) => [
                o.name,
                { shape: o.shape.map(Number), data: fromBytes(res.raw_output_contents[k] as Buffer, o.datatype) },
              ]),
            ),
          );
        },
      );
    });
  return { json, binary, grpc: grpcInfer, close: () => client.close() };
}

/** Row-major `data` as the nested lists numpy builds an array of `shape` from. */
const nest = (data: unknown[], shape: number[]): unknown =>
  shape.length <= 1
    ? data
    : Array.from({ length: shape[0] as number }, (_, i) => {
        const step = data.length / (shape[0] as number);
        return nest(data.slice(i * step, (i + 1) * step), shape.slice(1));
      });

async function official(client: string, addr: string, inputs: Record<string, Named>, signature?: string) {
  const request = JSON.stringify({
    ...(signature !== undefined ? { signature_name: signature } : {}),
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([n, t]) => [
        n,
        { datatype: V2[t.dtype], data: nest(t.dtype === "bool" ? t.data.map((v) => v === 1) : t.data, t.shape) },
      ]),
    ),
  });
  return JSON.parse(
    await python(await venvPython(), ["test/clients/official_clients.py", client, addr, "m"], request),
  ) as {
    outputs: Record<string, unknown[]>;
    model_spec_signature?: string;
    signature?: { inputs: Record<string, string>; outputs: string[] };
  };
}

let dir: string;
let model: string;
let ref: Reference;
let digest: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "liftoff-savedmodel-test-"));
  model = path.join(dir, "model");
  ref = JSON.parse(await python(await venvPython(), ["test/clients/savedmodel_reference.py", model])) as Reference;
  // The documented command (docs/models.md) gives the digest the runtime checks.
  const { stdout } = await promisify(execFile)("bash", [
    "-c",
    '(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum',
    "_",
    model,
  ]);
  digest = stdout.split(" ")[0] as string;
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SERVE = (signature: string) => [
  "--model-format",
  "tf-savedmodel",
  "--backend",
  "tensorflow",
  "--savedmodel-signature",
  signature,
];

describe("a TensorFlow-written SavedModel, signature serving_default (float32 image in; float32 logits, int32 label out)", () => {
  let rt: RuntimeProcess;
  let via: ReturnType<typeof transports>;
  const sig = () => ref.serving_default as Reference[string];
  beforeAll(async () => {
    rt = await startRuntime(model, [...SERVE("serving_default"), "--model-digest", `sha256:${digest}`]);
    via = transports(rt, sig().inputs);
  }, 300_000);
  afterAll(async () => {
    via?.close();
    await rt?.stop();
  });

  it("V2 metadata: the SignatureDef's keys, dtypes and shapes, platform tensorflow_savedmodel", async () => {
    const meta = await (await fetch(`http://${rt.http}/v2/models/m`)).json();
    expect(meta).toMatchObject({
      platform: "tensorflow_savedmodel",
      inputs: [{ name: "image", datatype: "FP32", shape: [-1, 8, 8, 1] }],
      outputs: [
        { name: "label", datatype: "INT32", shape: [-1] },
        { name: "logits", datatype: "FP32", shape: [-1, 3] },
      ],
      parameters: { digest: `sha256:${digest}`, backend: "tensorflow" },
    });
  });

  for (const transport of ["json", "binary", "grpc"] as const) {
    it(`V2 ${transport}: logits and label equal TensorFlow's`, async () => {
      const out = await via[transport]();
      for (const name of ["logits", "label"]) {
        const want = sig().outputs[name] as Named;
        expect(out[name]?.shape, name).toEqual(want.shape);
        expectSame(out[name]?.data ?? [], want, `${transport} ${name}`);
      }
    });
  }

  for (const client of ["triton-http", "triton-grpc", "tfserving"] as const) {
    it(`${client} (official client): equal to TensorFlow's`, async () => {
      const r = await official(client, client === "triton-http" ? rt.http : rt.grpc, sig().inputs);
      for (const name of ["logits", "label"]) {
        expectSame((r.outputs[name] ?? []).flat(3) as number[], sig().outputs[name] as Named, `${client} ${name}`);
      }
      if (client === "tfserving") {
        expect(r.model_spec_signature).toBe("serving_default");
        expect(r.signature).toEqual({ inputs: { image: "DT_FLOAT" }, outputs: ["label", "logits"] });
      }
    });
  }

  it("wrong dtype and wrong shape are a 400 that names the input and the expectation", async () => {
    const post = (input: object) =>
      fetch(`http://${rt.http}/v2/models/m/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ inputs: [{ name: "image", ...input }] }),
      });
    const asInt = await post({ datatype: "BOOL", shape: [1, 8, 8, 1], data: new Array(64).fill(true) });
    expect(asInt.status).toBe(400);
    expect(((await asInt.json()) as { error: string }).error).toBe(
      "input 'image': datatype BOOL does not match the model's FP32",
    );
    const flat = await post({ datatype: "FP32", shape: [1, 8, 8], data: new Array(64).fill(0) });
    expect(flat.status).toBe(400);
    expect(((await flat.json()) as { error: string }).error).toMatch(/^input 'image': shape \[1,8,8\] has rank 3/);
  });

  it("a signature_name the deployment does not serve is a 400 naming the served one and the SavedModel's others", async () => {
    const r = await fetch(`http://${rt.http}/v1/models/m:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ signature_name: "classify", instances: [new Array(8).fill(new Array(8).fill([0]))] }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error:
        "signature_name 'classify' is not served; this model has only 'serving_default' (its SavedModel also has 'any_rank', 'by_id', which a deployment serves by naming it in spec.model.savedModel.signature)",
      code: "LIFTOFF_ERR_SIGNATURE_NOT_FOUND",
    });
  });
});

describe("the same SavedModel, signature by_id (int64 ids and bool mask in; float32 pooled, int64 shifted out)", () => {
  let rt: RuntimeProcess;
  let via: ReturnType<typeof transports>;
  const sig = () => ref.by_id as Reference[string];
  beforeAll(async () => {
    rt = await startRuntime(model, SERVE("by_id"));
    via = transports(rt, sig().inputs);
  }, 300_000);
  afterAll(async () => {
    via?.close();
    await rt?.stop();
  });

  for (const transport of ["json", "binary", "grpc"] as const) {
    it(`V2 ${transport}: pooled equals TensorFlow's, shifted exactly (negative and > 2^32 int64 ids)`, async () => {
      const out = await via[transport]();
      for (const name of ["pooled", "shifted"]) {
        const want = sig().outputs[name] as Named;
        expect(out[name]?.shape, name).toEqual(want.shape);
        expectSame(out[name]?.data ?? [], want, `${transport} ${name}`);
      }
    });
  }

  for (const client of ["triton-http", "triton-grpc"] as const) {
    it(`${client} (official client): equal to TensorFlow's`, async () => {
      const r = await official(client, client === "triton-http" ? rt.http : rt.grpc, sig().inputs);
      for (const name of ["pooled", "shifted"]) {
        expectSame((r.outputs[name] ?? []).flat(3) as number[], sig().outputs[name] as Named, `${client} ${name}`);
      }
    });
  }

  it("TF Serving gRPC client with signature_name by_id: equal to TensorFlow's; metadata is by_id's real SignatureDef", async () => {
    const r = await official("tfserving", rt.grpc, sig().inputs, "by_id");
    for (const name of ["pooled", "shifted"]) {
      expectSame((r.outputs[name] ?? []).flat(3) as number[], sig().outputs[name] as Named, `tfserving ${name}`);
    }
    expect(r.model_spec_signature).toBe("by_id");
    expect(r.signature).toEqual({ inputs: { ids: "DT_INT64", mask: "DT_BOOL" }, outputs: ["pooled", "shifted"] });
  });

  it("TF Serving gRPC Predict with a signature_name not served is INVALID_ARGUMENT naming what the SavedModel has", async () => {
    const client = new (clients().Prediction)(rt.grpc, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        (client as unknown as Record<string, (...a: unknown[]) => void>).Predict?.(
          { model_spec: { name: "m", signature_name: "serving_default" }, inputs: {} },
          (e: grpc.ServiceError | null) => resolve(e as grpc.ServiceError),
        );
      });
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toBe(
        "signature_name 'serving_default' is not served; this model has only 'by_id' (its SavedModel also has 'any_rank', 'serving_default', which a deployment serves by naming it in spec.model.savedModel.signature)",
      );
    } finally {
      client.close();
    }
  });

  it("ids sent as FP32 are a 400 that names the input", async () => {
    const r = await fetch(`http://${rt.http}/v2/models/m/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [
          { name: "ids", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] },
          { name: "mask", datatype: "BOOL", shape: [1, 4], data: [true, true, true, true] },
        ],
      }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toBe(
      "input 'ids': datatype FP32 does not match the model's INT64",
    );
  });
});

describe("SavedModel load errors: clear ConfigErrors, no crash", () => {
  beforeAll(async () => {
    await activate("tensorflow");
  });

  it("a signature the SavedModel does not have names the ones it has", async () => {
    await expect(loadSavedModel(model, { signature: "predict" })).rejects.toThrow(
      new ConfigError(
        "the SavedModel has no signature 'predict' under tags [serve]; it has 'any_rank', 'by_id', 'serving_default'",
      ),
    );
  });

  it("tags the SavedModel does not have name the tag sets it has", async () => {
    await expect(loadSavedModel(model, { tags: ["serve", "gpu"] })).rejects.toThrow(
      new ConfigError("the SavedModel has no MetaGraph tagged [serve, gpu]; it has [serve]"),
    );
  });

  it("a signature with an input of unknown rank is refused, naming it (it could be neither validated nor described)", async () => {
    await expect(loadSavedModel(model, { signature: "any_rank" })).rejects.toThrow(
      new ConfigError(
        "input 'x' of signature 'any_rank' has an unknown rank, which the runtime does not serve; give it a shape (None for free dimensions)",
      ),
    );
  });

  it("a backend other than libtensorflow is refused for a SavedModel, naming the ones that run it", async () => {
    const host = new ModelHost({
      name: "m",
      version: "1",
      metrics: new RuntimeMetrics("m"),
      maxBatchSize: 1,
      maxLatencyMs: 0,
      format: "tf-savedmodel",
    });
    await expect(host.load({ kind: "file", path: model }, undefined, "wasm")).rejects.toThrow(
      new ConfigError("a tf-savedmodel runs on libtensorflow: --backend must be auto or tensorflow, not wasm"),
    );
    expect(host.ready).toBe(false);
  });

  it("a saved_model.pb that is not a SavedModel protobuf is refused as such", async () => {
    const bad = path.join(dir, "not-a-savedmodel");
    await rm(bad, { recursive: true, force: true });
    await promisify(execFile)("mkdir", ["-p", path.join(bad, "variables")]);
    await writeFile(path.join(bad, "saved_model.pb"), "this is not a protobuf at all \u00ff\u00fe");
    const artifact = await fetchSavedModelArtifact({ kind: "file", path: bad }, undefined);
    try {
      await expect(loadSavedModel(artifact.dir)).rejects.toThrow(
        /^the model folder is not a TensorFlow SavedModel \(saved_model\.pb \+ variables\/\): /,
      );
    } finally {
      await artifact.remove();
    }
  });
});
