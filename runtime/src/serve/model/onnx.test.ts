import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../errors.js";
import { type GrpcListener, startGrpc } from "../grpc/listener.js";
import { clients } from "../grpc/protos.js";
import { onnxServerFor, tempDir } from "../test-helpers.js";
import { loadOnnx } from "./onnx.js";
import { allDtypesOnnx, ELEM, onnxModel } from "./onnx-test-model.js";

async function writeModel(bytes: Uint8Array, name = "model.onnx"): Promise<string> {
  const file = path.join(await tempDir("liftoff-onnx-"), name);
  await writeFile(file, bytes);
  return file;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("onnx format: loading", () => {
  it("the signature comes from the session: names, dtypes, symbolic dims as -1, batched when every dim 0 is", async () => {
    const m = await loadOnnx(allDtypesOnnx(), { threads: 1 });
    try {
      expect(m.format).toBe("onnx");
      expect(m.signature.batched).toBe(true);
      expect(m.signature.inputs).toEqual([
        { name: "x", dtype: "float32", shape: [-1, 3] },
        { name: "ids", dtype: "int64", shape: [-1, 2] },
        { name: "u", dtype: "uint8", shape: [-1, 2] },
        { name: "s", dtype: "int8", shape: [-1, 2] },
        { name: "b", dtype: "bool", shape: [-1, 1] },
      ]);
      expect(m.signature.outputs.map((o) => [o.name, o.dtype])).toEqual([
        ["doubled", "float32"],
        ["ids_plus", "int64"],
        ["u_out", "uint8"],
        ["s_out", "int8"],
        ["b_out", "bool"],
      ]);
    } finally {
      m.dispose();
    }
  });

  it("a fixed first dimension is not batched", async () => {
    const bytes = onnxModel(
      [{ name: "h", elem: ELEM.float, dims: [1, 4] }],
      [{ name: "o", elem: ELEM.float, dims: [1, 4] }],
      [{ op: "Identity", inputs: ["h"], outputs: ["o"] }],
    );
    const m = await loadOnnx(bytes, { threads: 1 });
    expect(m.signature.batched).toBe(false);
    expect(m.signature.inputs[0]?.shape).toEqual([1, 4]);
    m.dispose();
  });

  it("an element type the runtime does not serve (float64) is refused at load, naming the tensor", async () => {
    const bytes = onnxModel(
      [{ name: "wide_in", elem: ELEM.double, dims: ["batch", 2] }],
      [{ name: "wide_out", elem: ELEM.double, dims: ["batch", 2] }],
      [{ op: "Identity", inputs: ["wide_in"], outputs: ["wide_out"] }],
    );
    const err = await loadOnnx(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /input 'wide_in' has element type float64, which the runtime does not serve/,
    );
  });

  it("a file that is not ONNX is a ConfigError with a clear message, through ModelHost.load too", async () => {
    const err = await loadOnnx(new TextEncoder().encode('{"modelTopology": {}}')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^the model is not a valid ONNX model: /);
    const file = await writeModel(new TextEncoder().encode("not a model at all"));
    const viaHost = await onnxServerFor(file).catch((e: unknown) => e);
    expect(viaHost).toBeInstanceOf(ConfigError);
    expect((viaHost as Error).message).toMatch(/not a valid ONNX model/);
  });

  it("the digest is the file's sha256: a match serves, a mismatch refuses before any session is built", async () => {
    const bytes = allDtypesOnnx();
    const file = await writeModel(bytes);
    const ok = await onnxServerFor(file, { digest: sha256(bytes) });
    expect(ok.report.digest).toBe(sha256(bytes));
    expect(ok.report.backend.name).toBe("onnxruntime");
    expect(ok.modelHost.ready).toBe(true);
    await ok.app.close();
    const bad = await onnxServerFor(file, { digest: "0".repeat(64) }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/model digest mismatch: expected sha256:0{64}, got sha256:[0-9a-f]{64}/);
  });

  it("a folder means its model.onnx", async () => {
    const dir = path.join(await tempDir("liftoff-onnx-"), "models", "text");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "model.onnx"), allDtypesOnnx());
    const { app, modelHost } = await onnxServerFor(dir);
    expect(modelHost.model?.format).toBe("onnx");
    await app.close();
  });
});

describe("onnx format: serving every dtype over V2", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = (await onnxServerFor(await writeModel(allDtypesOnnx()), { maxBatchSize: 8 })).app;
  });
  afterAll(async () => {
    await app.close();
  });

  const inputs = (over: Record<string, unknown> = {}) =>
    [
      { name: "x", datatype: "FP32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
      { name: "ids", datatype: "INT64", shape: [2, 2], data: [101, 7592, 2088, 9007199254740991] },
      { name: "u", datatype: "UINT8", shape: [2, 2], data: [0, 255, 7, 8] },
      { name: "s", datatype: "INT8", shape: [2, 2], data: [-128, 127, -1, 0] },
      { name: "b", datatype: "BOOL", shape: [2, 1], data: [true, false] },
    ].map((t) => (t.name in over ? { ...t, ...(over[t.name] as object) } : t));

  const infer = (payload: object) => app.inject({ method: "POST", url: "/v2/models/m/infer", payload });

  it("metadata reports the ONNX datatypes and onnxruntime_onnx", async () => {
    const r = await app.inject({ method: "GET", url: "/v2/models/m" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      platform: "onnxruntime_onnx",
      inputs: [
        { name: "x", datatype: "FP32", shape: [-1, 3] },
        { name: "ids", datatype: "INT64", shape: [-1, 2] },
        { name: "u", datatype: "UINT8", shape: [-1, 2] },
        { name: "s", datatype: "INT8", shape: [-1, 2] },
        { name: "b", datatype: "BOOL", shape: [-1, 1] },
      ],
    });
  });

  it("JSON in, JSON out: int64 values as numbers (exact up to 2^53 − 1), uint8, int8 and bool round-trip", async () => {
    const r = await infer({ inputs: inputs({ ids: { data: [101, 7592, 2088, 4503599627370495] } }) });
    expect(r.statusCode).toBe(200);
    const out = Object.fromEntries(
      (r.json().outputs as { name: string; datatype: string; data: unknown[] }[]).map((o) => [
        o.name,
        [o.datatype, o.data],
      ]),
    );
    expect(out).toEqual({
      doubled: ["FP32", [2, 4, 6, 8, 10, 12]],
      ids_plus: ["INT64", [202, 15184, 4176, 9007199254740990]],
      u_out: ["UINT8", [0, 255, 7, 8]],
      s_out: ["INT8", [-128, 127, -1, 0]],
      b_out: ["BOOL", [true, false]],
    });
  });

  it("int64 outputs that JSON cannot hold exactly are refused with a 400 that says to ask for binary", async () => {
    const r = await infer({ inputs: inputs(), outputs: [{ name: "ids_plus" }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/output 'ids_plus': value 18014398509481982 is beyond what a JSON number holds/);
    const small = await infer({
      inputs: inputs({ ids: { data: [101, 7592, 2088, 102] } }),
      outputs: [{ name: "ids_plus" }],
    });
    expect(small.statusCode).toBe(200);
    expect(small.json().outputs[0]).toEqual({
      name: "ids_plus",
      datatype: "INT64",
      shape: [2, 2],
      data: [202, 15184, 4176, 204],
    });
  });

  it("binary INT64 in and out keeps every bit, beyond 2^53 too", async () => {
    const ids = new BigInt64Array([2n ** 61n + 1n, -(2n ** 61n) - 3n, 5n, -5n]);
    const header = {
      inputs: inputs().map((t) =>
        t.name === "ids" ? { name: "ids", datatype: "INT64", shape: [2, 2], parameters: { binary_data_size: 32 } } : t,
      ),
      outputs: [{ name: "ids_plus", parameters: { binary_data: true } }],
    };
    const json = Buffer.from(JSON.stringify(header));
    const r = await app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: Buffer.concat([json, Buffer.from(ids.buffer)]),
      headers: { "inference-header-content-length": String(json.byteLength) },
    });
    expect(r.statusCode).toBe(200);
    const n = Number(r.headers["inference-header-content-length"]);
    const raw = new Uint8Array(r.rawPayload.subarray(n));
    expect(Array.from(new BigInt64Array(raw.slice().buffer))).toEqual([2n ** 62n + 2n, -(2n ** 62n) - 6n, 10n, -10n]);
  });

  it("INT32 data for an INT64 input is widened; a UINT8 value out of range is a 400 naming the input", async () => {
    const widened = await infer({
      inputs: inputs({ ids: { datatype: "INT32", data: [1, 2, 3, 4] } }),
      outputs: [{ name: "ids_plus" }],
    });
    expect(widened.statusCode).toBe(200);
    expect(widened.json().outputs[0].data).toEqual([2, 4, 6, 8]);
    const over = await infer({ inputs: inputs({ u: { data: [0, 256, 1, 2] } }) });
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatch(/input 'u': data\[1\] is 256, expected an integer from 0 to 255/);
    const neg = await infer({ inputs: inputs({ s: { data: [0, -129, 1, 2] } }) });
    expect(neg.statusCode).toBe(400);
    expect(neg.json().error).toMatch(/input 's': data\[1\] is -129, expected an integer from -128 to 127/);
    const frac = await infer({ inputs: inputs({ ids: { data: [1.5, 2, 3, 4] } }) });
    expect(frac.statusCode).toBe(400);
    expect(frac.json().error).toMatch(/input 'ids': data\[0\] is 1.5, expected an integer within/);
  });

  it("a wrong datatype or shape for an ONNX input is a 400 naming the input and what it takes", async () => {
    const dtype = await infer({ inputs: inputs({ ids: { datatype: "FP32", data: [1, 2, 3, 4] } }) });
    expect(dtype.statusCode).toBe(400);
    expect(dtype.json().error).toBe("input 'ids': datatype FP32 does not match the model's INT64");
    const shape = await infer({ inputs: inputs({ x: { shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] } }) });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().error).toMatch(/input 'x': shape \[2,4\] does not match \[-1,3\] at dimension 1/);
  });

  it("concurrent requests are batched into one session run and split back", async () => {
    const rs = await Promise.all(
      [1, 2, 3].map((k) =>
        infer({
          inputs: [
            { name: "x", datatype: "FP32", shape: [1, 3], data: [k, k, k] },
            { name: "ids", datatype: "INT64", shape: [1, 2], data: [k, -k] },
            { name: "u", datatype: "UINT8", shape: [1, 2], data: [k, k] },
            { name: "s", datatype: "INT8", shape: [1, 2], data: [-k, k] },
            { name: "b", datatype: "BOOL", shape: [1, 1], data: [k % 2 === 0] },
          ],
          outputs: [{ name: "ids_plus" }, { name: "s_out" }],
        }),
      ),
    );
    expect(rs.map((r) => r.json().outputs.map((o: { data: number[] }) => o.data))).toEqual([
      [
        [2, -2],
        [-1, 1],
      ],
      [
        [4, -4],
        [-2, 2],
      ],
      [
        [6, -6],
        [-3, 3],
      ],
    ]);
  });

  it("V1 predict with named instances: int64, uint8, int8 and bool in, each output by name", async () => {
    const r = await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: { instances: [{ x: [1, 2, 3], ids: [5, -5], u: [9, 10], s: [-3, 3], b: [true] }] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().predictions).toEqual([
      { doubled: [2, 4, 6], ids_plus: [10, -10], u_out: [9, 10], s_out: [-3, 3], b_out: [true] },
    ]);
  });

  it("/openapi.json states the integer ranges of the ONNX inputs", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    const text = JSON.stringify(doc);
    expect(text).toContain('"minimum":0,"maximum":255');
    expect(text).toContain('"minimum":-128,"maximum":127');
    expect(text).toContain(`"minimum":-${Number.MAX_SAFE_INTEGER},"maximum":${Number.MAX_SAFE_INTEGER}`);
  });
});

describe("onnx format: every dtype over V2 gRPC and TF Serving gRPC", () => {
  let app: FastifyInstance;
  let listener: GrpcListener;
  let call: (client: grpc.Client, method: string, req: object) => Promise<Record<string, unknown>>;
  let v2: grpc.Client;
  let tfs: grpc.Client;
  beforeAll(async () => {
    const served = await onnxServerFor(await writeModel(allDtypesOnnx()));
    app = served.app;
    listener = await startGrpc(
      {
        modelHost: served.modelHost,
        limits: served.limits,
        maxMessageBytes: 1 << 20,
        maxConcurrentStreams: 10,
        log: app.log,
      },
      "127.0.0.1",
      0,
    );
    const C = clients();
    v2 = new C.Inference(`127.0.0.1:${listener.port}`, grpc.credentials.createInsecure());
    tfs = new C.Prediction(`127.0.0.1:${listener.port}`, grpc.credentials.createInsecure());
    call = (client, method, req) =>
      new Promise((resolve, reject) => {
        (client as unknown as Record<string, (...a: unknown[]) => void>)[method]?.(req, (err: unknown, res: object) =>
          err ? reject(err) : resolve(res as Record<string, unknown>),
        );
      });
  });
  afterAll(async () => {
    v2.close();
    tfs.close();
    await Promise.all([listener.close(), app.close()]);
  });

  const bytesOf = (b: Buffer, Type: typeof BigInt64Array | typeof Int8Array | typeof Uint8Array): (number | bigint)[] =>
    Array.from(new Type(new Uint8Array(b).buffer) as ArrayLike<number | bigint>);

  it("V2 ModelInfer with typed contents: int64_contents, uint_contents, int_contents, bool_contents", async () => {
    const res = await call(v2, "ModelInfer", {
      model_name: "m",
      inputs: [
        { name: "x", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } },
        { name: "ids", datatype: "INT64", shape: [1, 2], contents: { int64_contents: [4503599627370495, -7] } },
        { name: "u", datatype: "UINT8", shape: [1, 2], contents: { uint_contents: [255, 1] } },
        { name: "s", datatype: "INT8", shape: [1, 2], contents: { int_contents: [-128, 127] } },
        { name: "b", datatype: "BOOL", shape: [1, 1], contents: { bool_contents: [true] } },
      ],
      outputs: [{ name: "ids_plus" }, { name: "u_out" }, { name: "s_out" }],
    });
    const outs = res.outputs as { name: string; datatype: string }[];
    expect(outs.map((o) => [o.name, o.datatype])).toEqual([
      ["ids_plus", "INT64"],
      ["u_out", "UINT8"],
      ["s_out", "INT8"],
    ]);
    const raw = res.raw_output_contents as Buffer[];
    expect(bytesOf(raw[0] as Buffer, BigInt64Array)).toEqual([9007199254740990n, -14n]);
    expect(bytesOf(raw[1] as Buffer, Uint8Array)).toEqual([255, 1]);
    expect(bytesOf(raw[2] as Buffer, Int8Array)).toEqual([-128, 127]);
  });

  it("V2 ModelInfer: a UINT8 value out of range is INVALID_ARGUMENT naming the input", async () => {
    const err = (await call(v2, "ModelInfer", {
      model_name: "m",
      inputs: [
        { name: "x", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } },
        { name: "ids", datatype: "INT64", shape: [1, 2], contents: { int64_contents: [1, 2] } },
        { name: "u", datatype: "UINT8", shape: [1, 2], contents: { uint_contents: [256, 1] } },
        { name: "s", datatype: "INT8", shape: [1, 2], contents: { int_contents: [0, 0] } },
        { name: "b", datatype: "BOOL", shape: [1, 1], contents: { bool_contents: [true] } },
      ],
    }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/input 'u': data\[0\] is 256, expected an integer from 0 to 255/);
  });

  it("TF Serving Predict: DT_INT64 int64_val, DT_UINT8/DT_INT8 int_val in, tensor_content out with the model's dtypes", async () => {
    const t = (dtype: string, shape: number[], field: string, values: unknown[]) => ({
      dtype,
      tensor_shape: { dim: shape.map((size) => ({ size })) },
      [field]: values,
    });
    const res = await call(tfs, "Predict", {
      model_spec: { name: "m" },
      inputs: {
        x: t("DT_FLOAT", [1, 3], "float_val", [1, 2, 3]),
        ids: t("DT_INT64", [1, 2], "int64_val", [21, -21]),
        u: t("DT_UINT8", [1, 2], "int_val", [0, 200]),
        s: t("DT_INT8", [1, 2], "int_val", [-5, 5]),
        b: t("DT_BOOL", [1, 1], "bool_val", [false]),
      },
      output_filter: ["ids_plus", "u_out", "s_out"],
    });
    const outs = res.outputs as Record<string, { dtype: string; tensor_content: Buffer }>;
    expect(outs.ids_plus?.dtype).toBe("DT_INT64");
    expect(bytesOf(outs.ids_plus?.tensor_content as Buffer, BigInt64Array)).toEqual([42n, -42n]);
    expect(outs.u_out?.dtype).toBe("DT_UINT8");
    expect(bytesOf(outs.u_out?.tensor_content as Buffer, Uint8Array)).toEqual([0, 200]);
    expect(outs.s_out?.dtype).toBe("DT_INT8");
    expect(bytesOf(outs.s_out?.tensor_content as Buffer, Int8Array)).toEqual([-5, 5]);
  });
});
