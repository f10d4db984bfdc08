import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenSet } from "../auth.js";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";
import { type GrpcListener, startGrpc } from "./listener.js";
import { clients } from "./protos.js";

type Call = (method: string, req: object, md?: grpc.Metadata) => Promise<Record<string, unknown>>;

function caller(client: grpc.Client): Call {
  return (method, req, md = new grpc.Metadata()) =>
    new Promise((resolve, reject) => {
      (client as unknown as Record<string, (...a: unknown[]) => void>)[method]?.(
        req,
        md,
        (err: unknown, res: object) => (err ? reject(err) : resolve(res as Record<string, unknown>)),
      );
    });
}

const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
const input = (raw: Buffer, shape = [1, 3], datatype = "FP32") => ({
  model_name: "m",
  inputs: [{ name: "dense_input", datatype, shape }],
  raw_input_contents: [raw],
});
const tensor = (dtype: string, shape: number[], content: Buffer) => ({
  dtype,
  tensor_shape: { dim: shape.map((size) => ({ size })) },
  tensor_content: content,
});

async function rejected(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("the call succeeded");
}

describe("gRPC: V2 and TF Serving on one port", () => {
  const listeners: GrpcListener[] = [];
  const closers: (() => Promise<void>)[] = [];
  let v2: Call;
  let tfs: Call;
  let status: Call;
  let authed: Call;

  beforeAll(async () => {
    const model = await saveLayersModel(tinyDense(), await tempDir());
    const C = clients();
    for (const auth of [undefined, new TokenSet(["s3cret"])]) {
      const { app, modelHost } = await serverFor(model);
      const l = await startGrpc(
        {
          modelHost,
          limits: { maxRequestRows: 4, bodyLimitBytes: 4096 },
          maxMessageBytes: 4096,
          maxConcurrentStreams: 100,
          auth,
          log: app.log,
        },
        "127.0.0.1",
        0,
      );
      listeners.push(l);
      closers.push(() => app.close());
      const addr = `127.0.0.1:${l.port}`;
      const creds = grpc.credentials.createInsecure();
      if (auth === undefined) {
        v2 = caller(new C.Inference(addr, creds));
        tfs = caller(new C.Prediction(addr, creds));
        status = caller(new C.Model(addr, creds));
      } else authed = caller(new C.Inference(addr, creds));
    }
  });
  afterAll(async () => {
    await Promise.all([...listeners.map((l) => l.close()), ...closers.map((c) => c())]);
  });

  it("V2: liveness, metadata and ModelInfer with raw contents and typed contents", async () => {
    expect(await v2("ServerLive", {})).toEqual({ live: true });
    expect(await v2("ModelMetadata", { name: "m" })).toMatchObject({
      name: "m",
      versions: ["1"],
      inputs: [{ name: "dense_input", datatype: "FP32", shape: [-1, 3] }],
    });
    const raw = await v2("ModelInfer", { ...input(f32([1, 2, 3, 0, 0, 0]), [2, 3]), id: "r1" });
    expect(raw).toMatchObject({
      model_name: "m",
      id: "r1",
      outputs: [{ name: "dense", datatype: "FP32", shape: [2, 2] }],
    });
    const out = raw.raw_output_contents as Buffer[];
    expect(Array.from(new Float32Array(new Uint8Array(out[0] as Buffer).buffer))).toEqual([4.5, 4.5, 0.5, -0.5]);
    const typed = await v2("ModelInfer", {
      model_name: "m",
      inputs: [{ name: "dense_input", datatype: "FP64", shape: [1, 3], contents: { fp64_contents: [1, 2, 3] } }],
    });
    expect((typed.raw_output_contents as Buffer[])[0]?.byteLength).toBe(8);
  });

  it("V2: ModelConfig and ModelStatistics answer from the signature, limits and counters", async () => {
    expect(await v2("ModelConfig", { name: "m", version: "1" })).toEqual({
      config: expect.objectContaining({
        name: "m",
        platform: "tensorflowjs_layers",
        max_batch_size: 4,
        input: [expect.objectContaining({ name: "dense_input", data_type: "TYPE_FP32", dims: [3] })],
        output: [expect.objectContaining({ name: "dense", data_type: "TYPE_FP32", dims: [2] })],
      }),
    });
    type Stats = {
      model_stats: {
        inference_count: number;
        execution_count: number;
        inference_stats: Record<string, { count: number; ns: number }>;
      }[];
    };
    const before = ((await v2("ModelStatistics", { name: "m" })) as Stats).model_stats[0];
    await v2("ModelInfer", input(f32([1, 2, 3, 4, 5, 6]), [2, 3]));
    await rejected(v2("ModelInfer", input(f32([1]))));
    const all = (await v2("ModelStatistics", {})) as Stats;
    expect(all.model_stats).toHaveLength(1);
    const after = all.model_stats[0];
    expect(after).toMatchObject({ name: "m", version: "1" });
    expect((after?.inference_count ?? 0) - (before?.inference_count ?? 0)).toBe(2);
    expect((after?.execution_count ?? 0) - (before?.execution_count ?? 0)).toBe(1);
    const delta = (k: string) => (after?.inference_stats[k]?.count ?? 0) - (before?.inference_stats[k]?.count ?? 0);
    expect([delta("success"), delta("fail"), delta("compute_infer")]).toEqual([1, 1, 1]);
    expect(after?.inference_stats.success?.ns).toBeGreaterThan(before?.inference_stats.success?.ns ?? 0);
    const err = await rejected(v2("ModelStatistics", { name: "x" }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });

  it("finding: gRPC ModelInfer echoes the request's id (as HTTP does; tritonclient reads it back)", async () => {
    const typed = {
      model_name: "m",
      id: "req-42",
      inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }],
    };
    expect((await v2("ModelInfer", typed)).id).toBe("req-42");
    expect((await v2("ModelInfer", { ...input(f32([1, 2, 3])), id: "raw-7" })).id).toBe("raw-7");
    expect((await v2("ModelInfer", input(f32([1, 2, 3])))).id).toBe("");
  });

  it("TF Serving: Predict with tensor_content and float_val, GetModelStatus", async () => {
    const spec = { name: "m", signature_name: "serving_default" };
    const r = await tfs("Predict", {
      model_spec: spec,
      inputs: { dense_input: tensor("DT_FLOAT", [1, 3], f32([1, 2, 3])) },
    });
    const dense = (r.outputs as Record<string, { tensor_content: Buffer; tensor_shape: unknown }>).dense;
    expect(Array.from(new Float32Array(new Uint8Array(dense?.tensor_content as Buffer).buffer))).toEqual([4.5, 4.5]);
    const typed = await tfs("Predict", {
      model_spec: { name: "m", version: { value: 1 } },
      inputs: { dense_input: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: 1 }, { size: 3 }] }, float_val: [1] } },
    });
    expect(typed.model_spec).toMatchObject({ name: "m", version: { value: 1 }, signature_name: "serving_default" });
    expect(await status("GetModelStatus", { model_spec: { name: "m" } })).toMatchObject({
      model_version_status: [{ version: 1, state: "AVAILABLE" }],
    });
  });

  it.each([
    [
      "V2 unknown model",
      () => v2("ModelInfer", { ...input(f32([1, 2, 3])), model_name: "x" }),
      grpc.status.NOT_FOUND,
      "model 'x' is not served here",
      "LIFTOFF_ERR_MODEL_NOT_FOUND",
    ],
    [
      "V2 raw bytes that do not match shape × datatype",
      () => v2("ModelInfer", input(f32([1, 2]))),
      grpc.status.INVALID_ARGUMENT,
      "input 'dense_input': raw_input_contents[0] is 8 bytes but shape [1,3] of FP32 needs 12",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "V2 unknown datatype",
      () => v2("ModelInfer", input(f32([1, 2, 3]), [1, 3], "FP8")),
      grpc.status.INVALID_ARGUMENT,
      "input 'dense_input': unknown datatype 'FP8'",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "V2 wrong contents field",
      () =>
        v2("ModelInfer", {
          model_name: "m",
          inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3], contents: { int_contents: [1, 2, 3] } }],
        }),
      grpc.status.INVALID_ARGUMENT,
      "input 'dense_input': contents.int_contents given for datatype FP32 (use contents.fp32_contents)",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "V2 rows over the limit",
      () => v2("ModelInfer", input(f32(new Array(15).fill(1)), [5, 3])),
      grpc.status.INVALID_ARGUMENT,
      "request has 5 rows, more than the limit of 4",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "V2 classification extension (class_count) is refused, not ignored",
      () =>
        v2("ModelInfer", {
          ...input(f32([1, 2, 3])),
          outputs: [{ name: "dense", parameters: { classification: { int64_param: 2 } } }],
        }),
      grpc.status.INVALID_ARGUMENT,
      "output 'dense': parameters.classification (class_count) is not supported by this runtime; ask for the output without it and take the top k from its scores",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS wrong dtype",
      () =>
        tfs("Predict", {
          model_spec: { name: "m" },
          inputs: { dense_input: tensor("DT_COMPLEX64", [1, 3], Buffer.alloc(0)) },
        }),
      grpc.status.INVALID_ARGUMENT,
      "inputs['dense_input']: dtype DT_COMPLEX64 is not served (use DT_FLOAT)",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS string for a float input",
      () =>
        tfs("Predict", {
          model_spec: { name: "m" },
          inputs: { dense_input: tensor("DT_STRING", [1, 3], Buffer.alloc(0)) },
        }),
      grpc.status.INVALID_ARGUMENT,
      "inputs['dense_input']: dtype DT_STRING does not match the model's DT_FLOAT",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS wrong shape",
      () =>
        tfs("Predict", { model_spec: { name: "m" }, inputs: { dense_input: tensor("DT_FLOAT", [1, 2], f32([1, 2])) } }),
      grpc.status.INVALID_ARGUMENT,
      "input 'dense_input': shape [1,2] does not match [-1,3] at dimension 1",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS tensor_content that lies about its size",
      () =>
        tfs("Predict", {
          model_spec: { name: "m" },
          inputs: { dense_input: tensor("DT_FLOAT", [2, 3], f32([1, 2, 3])) },
        }),
      grpc.status.INVALID_ARGUMENT,
      "inputs['dense_input']: tensor_content is 12 bytes but shape [2,3] of FP32 needs 24",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS unknown input name",
      () => tfs("Predict", { model_spec: { name: "m" }, inputs: { x: tensor("DT_FLOAT", [1, 3], f32([1, 2, 3])) } }),
      grpc.status.INVALID_ARGUMENT,
      "inputs['x'] is not an input of signature serving_default; it takes 'dense_input'",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "TFS unknown signature",
      () => tfs("Predict", { model_spec: { name: "m", signature_name: "classify" }, inputs: {} }),
      grpc.status.INVALID_ARGUMENT,
      "signature_name 'classify' is not served; this model has only 'serving_default'",
      "LIFTOFF_ERR_SIGNATURE_NOT_FOUND",
    ],
    [
      "TFS unknown model",
      () => tfs("Predict", { model_spec: { name: "other" }, inputs: {} }),
      grpc.status.NOT_FOUND,
      "model 'other' is not served here",
      "LIFTOFF_ERR_MODEL_NOT_FOUND",
    ],
    [
      "TFS version not served",
      () => tfs("Predict", { model_spec: { name: "m", version: { value: 2 } }, inputs: {} }),
      grpc.status.NOT_FOUND,
      "model 'm' has no version '2'",
      "LIFTOFF_ERR_VERSION_NOT_FOUND",
    ],
    [
      "TFS version label",
      () => tfs("Predict", { model_spec: { name: "m", version_label: "stable" }, inputs: {} }),
      grpc.status.NOT_FOUND,
      "model 'm' has no version 'label stable'",
      "LIFTOFF_ERR_VERSION_NOT_FOUND",
    ],
    [
      "auth: no token",
      () => authed("ModelMetadata", { name: "m" }),
      grpc.status.UNAUTHENTICATED,
      "missing or invalid bearer token",
      "LIFTOFF_ERR_UNAUTHENTICATED",
    ],
  ])("%s → gRPC status %d", async (_name, call, code, details, errorCode) => {
    const err = await rejected(call());
    expect([err.code, err.details]).toEqual([code, details]);
    expect(err.metadata.get("liftoff-error-code")).toEqual([errorCode]);
  });

  it("a message over the limit is RESOURCE_EXHAUSTED; the server keeps serving", async () => {
    const err = await rejected(v2("ModelInfer", input(Buffer.alloc(8192), [1, 3])));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/larger than max/);
    expect(await v2("ServerReady", {})).toEqual({ ready: true });
  });

  it("auth: health stays open, a token in metadata passes, other RPCs are UNIMPLEMENTED", async () => {
    expect(await authed("ServerLive", {})).toEqual({ live: true });
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer s3cret");
    expect(await authed("ModelMetadata", { name: "m" }, md)).toMatchObject({ name: "m" });
    expect((await rejected(v2("RepositoryIndex", {}))).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("auth: the key in x-api-key metadata is checked like the bearer token", async () => {
    const good = new grpc.Metadata();
    good.set("x-api-key", "s3cret");
    expect(await authed("ModelMetadata", { name: "m" }, good)).toMatchObject({ name: "m" });
    const bad = new grpc.Metadata();
    bad.set("x-api-key", "wrong");
    expect((await rejected(authed("ModelMetadata", { name: "m" }, bad))).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe("gRPC bounds", () => {
  it("finding: gRPC work is capped: past --max-pending-requests a call gets RESOURCE_EXHAUSTED at once", async () => {
    const model = await saveLayersModel(tinyDense(), await tempDir());
    // Batching with a 400 ms wait holds the first call in the queue; the bound is one pending request.
    const { app, modelHost } = await serverFor(model, { maxBatchSize: 4, maxLatencyMs: 400, maxPendingRequests: 1 });
    const l = await startGrpc(
      {
        modelHost,
        limits: { maxRequestRows: 4, bodyLimitBytes: 4096 },
        maxMessageBytes: 4096,
        maxConcurrentStreams: 8,
        log: app.log,
      },
      "127.0.0.1",
      0,
    );
    try {
      const v2 = caller(new (clients().Inference)(`127.0.0.1:${l.port}`, grpc.credentials.createInsecure()));
      const first = v2("ModelInfer", input(f32([1, 2, 3])));
      await new Promise((r) => setTimeout(r, 100));
      const err = await rejected(v2("ModelInfer", input(f32([1, 2, 3]))));
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(err.metadata.get("liftoff-error-code")).toEqual(["LIFTOFF_ERR_OVERLOADED"]);
      await expect(first).resolves.toMatchObject({ model_name: "m" });
    } finally {
      await l.close();
      await app.close();
    }
  });
});
