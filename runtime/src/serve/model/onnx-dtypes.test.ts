/**
 * A real ONNX model with string, float16 and bool tensors (textHalfBoolOnnx: Identity, Cast, Not), served in-process
 * on every protocol, batched, and refusing bad input with a 4xx / INVALID_ARGUMENT that names the input.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { utf8Bytes } from "../bytes-tensors.js";
import { type GrpcListener, startGrpc } from "../grpc/listener.js";
import { clients } from "../grpc/protos.js";
import { halfToNumber, numberToHalf } from "../half.js";
import { onnxServerFor, tempDir } from "../test-helpers.js";
import { textHalfBoolOnnx } from "./onnx-test-model.js";

const prefixed = (...xs: (string | Uint8Array)[]) =>
  Buffer.concat(
    xs
      .map((x) => (typeof x === "string" ? utf8Bytes(x) : x))
      .flatMap((b) => [Buffer.from(new Uint32Array([b.byteLength]).buffer), Buffer.from(b)]),
  );
const halves = (xs: number[]) => Buffer.from(Uint16Array.from(xs, numberToHalf).buffer);

describe("onnx format: BYTES, FP16 and BOOL tensors on every protocol", () => {
  let app: FastifyInstance;
  let listener: GrpcListener;
  let v2: grpc.Client;
  let tfs: grpc.Client;
  let call: (client: grpc.Client, method: string, req: object) => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    const file = path.join(await tempDir("liftoff-onnx-dtypes-"), "model.onnx");
    await writeFile(file, textHalfBoolOnnx());
    const served = await onnxServerFor(file, { maxBatchSize: 8, bodyLimitBytes: 4096 });
    app = served.app;
    listener = await startGrpc(
      {
        modelHost: served.modelHost,
        limits: served.limits,
        maxMessageBytes: 4096,
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
    v2?.close();
    tfs?.close();
    await Promise.all([listener?.close(), app?.close()]);
  });

  const jsonInputs = (over: Record<string, object> = {}) =>
    [
      { name: "text", datatype: "BYTES", shape: [1, 2], data: ["héllo", "日本"] },
      { name: "half", datatype: "FP16", shape: [1, 3], data: [0.5, -2, 65504] },
      { name: "x", datatype: "FP32", shape: [1, 3], data: [0.1, 1, -3] },
      { name: "flag", datatype: "BOOL", shape: [1, 2], data: [true, false] },
    ].map((t) => ({ ...t, ...(over[t.name] ?? {}) }));
  const infer = (payload: object) => app.inject({ method: "POST", url: "/v2/models/m/infer", payload });
  const binary = (header: object, parts: Buffer[]) => {
    const json = Buffer.from(JSON.stringify(header));
    return app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: Buffer.concat([json, ...parts]),
      headers: { "inference-header-content-length": String(json.byteLength) },
    });
  };

  it("V2 metadata and /openapi.json name BYTES, FP16 and BOOL", async () => {
    const meta = (await app.inject({ method: "GET", url: "/v2/models/m" })).json();
    expect(meta.inputs.map((t: { datatype: string }) => t.datatype)).toEqual(["BYTES", "FP16", "FP32", "BOOL"]);
    expect(meta.outputs.map((t: { datatype: string }) => t.datatype)).toEqual([
      "BYTES",
      "FP16",
      "FP32",
      "FP16",
      "BOOL",
    ]);
    const config = (await app.inject({ method: "GET", url: "/v2/models/m/config" })).json();
    expect(config.input.map((t: { data_type: string }) => t.data_type)).toEqual([
      "TYPE_STRING",
      "TYPE_FP16",
      "TYPE_FP32",
      "TYPE_BOOL",
    ]);
    const doc = JSON.stringify((await app.inject({ method: "GET", url: "/openapi.json" })).json());
    expect(doc).toContain('"enum":["BYTES"]');
    expect(doc).toContain('"minimum":-65504,"maximum":65504');
  });

  it("V2 JSON: strings, half floats and booleans through the model, exactly", async () => {
    const r = await infer({ inputs: jsonInputs() });
    expect(r.statusCode).toBe(200);
    const out = Object.fromEntries(r.json().outputs.map((o: { name: string; data: unknown }) => [o.name, o.data]));
    expect(out).toEqual({
      text_out: ["héllo", "日本"],
      half_out: [0.5, -2, 65504],
      half_as_float: [0.5, -2, 65504],
      // float32 0.1 → the nearest half, 0.0999755859375.
      x_as_half: [halfToNumber(numberToHalf(Math.fround(0.1))), 1, -3],
      flag_not: [false, true],
    });
  });

  it("V2 binary: length-prefixed BYTES and 2-byte FP16 in and out", async () => {
    const parts = [
      prefixed("a", "", "bc", "d"),
      halves([1, 2, 3, 4, 5, 6]),
      Buffer.from(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer),
      Buffer.from([0, 1, 1, 0]),
    ];
    const header = {
      inputs: ["text", "half", "x", "flag"].map((name, i) => ({
        name,
        datatype: ["BYTES", "FP16", "FP32", "BOOL"][i],
        shape: [2, name === "text" || name === "flag" ? 2 : 3],
        parameters: { binary_data_size: parts[i]?.byteLength },
      })),
      outputs: [
        { name: "text_out", parameters: { binary_data: true } },
        { name: "half_out", parameters: { binary_data: true } },
      ],
    };
    const r = await binary(header, parts);
    expect(r.statusCode).toBe(200);
    const n = Number(r.headers["inference-header-content-length"]);
    const head = JSON.parse(r.rawPayload.subarray(0, n).toString());
    const sizes = head.outputs.map((o: { parameters: { binary_data_size: number } }) => o.parameters.binary_data_size);
    const rest = r.rawPayload.subarray(n);
    expect(rest.subarray(0, sizes[0])).toEqual(parts[0]);
    expect(rest.subarray(sizes[0])).toEqual(parts[1]);
  });

  it("V2 gRPC: bytes_contents in, raw_output_contents out (length-prefixed BYTES, FP16 bits)", async () => {
    const res = await call(v2, "ModelInfer", {
      model_name: "m",
      inputs: [
        {
          name: "text",
          datatype: "BYTES",
          shape: [1, 2],
          contents: { bytes_contents: [Buffer.from("x"), Buffer.from("yz")] },
        },
        { name: "half", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 0.5, 0.25] } },
        { name: "x", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [7, 8, 9] } },
        { name: "flag", datatype: "BOOL", shape: [1, 2], contents: { bool_contents: [true, true] } },
      ],
      outputs: [{ name: "text_out" }, { name: "x_as_half" }, { name: "flag_not" }],
    });
    const raw = res.raw_output_contents as Buffer[];
    expect(raw[0]).toEqual(prefixed("x", "yz"));
    expect(raw[1]).toEqual(halves([7, 8, 9]));
    expect(Array.from(raw[2] as Buffer)).toEqual([0, 0]);
  });

  it("TF Serving gRPC: string_val and half_val in; string_val and DT_HALF out", async () => {
    const t = (dtype: string, shape: number[], field: string, values: unknown[]) => ({
      dtype,
      tensor_shape: { dim: shape.map((size) => ({ size })) },
      [field]: values,
    });
    const res = await call(tfs, "Predict", {
      model_spec: { name: "m", signature_name: "serving_default" },
      inputs: {
        text: t("DT_STRING", [1, 2], "string_val", [Buffer.from("p"), Buffer.from("q")]),
        half: t("DT_HALF", [1, 3], "half_val", [1, 2, 3].map(numberToHalf)),
        x: t("DT_FLOAT", [1, 3], "float_val", [1, 2, 3]),
        flag: t("DT_BOOL", [1, 2], "bool_val", [false, true]),
      },
      output_filter: ["text_out", "half_out", "flag_not"],
    });
    const outs = res.outputs as Record<string, { dtype: string; string_val: Buffer[]; tensor_content: Buffer }>;
    expect(outs.text_out?.dtype).toBe("DT_STRING");
    expect(outs.text_out?.string_val.map(String)).toEqual(["p", "q"]);
    expect(outs.half_out?.dtype).toBe("DT_HALF");
    expect(outs.half_out?.tensor_content).toEqual(halves([1, 2, 3]));
    expect(Array.from(outs.flag_not?.tensor_content as Buffer)).toEqual([1, 0]);
  });

  it('TF Serving REST: strings and {"b64"} in, strings out; concurrent requests batched and split back', async () => {
    const rs = await Promise.all(
      ["a", "b", "c"].map((s) =>
        app.inject({
          method: "POST",
          url: "/v1/models/m:predict",
          payload: {
            instances: [
              {
                text: [s, { b64: Buffer.from(`${s}!`).toString("base64") }],
                half: [1, 2, 3],
                x: [1, 2, 3],
                flag: [true, true],
              },
            ],
          },
        }),
      ),
    );
    expect(rs.map((r) => r.json().predictions[0].text_out)).toEqual([
      ["a", "a!"],
      ["b", "b!"],
      ["c", "c!"],
    ]);
    expect(rs[0]?.json().predictions[0].half_out).toEqual([1, 2, 3]);
  });

  it("bad BYTES and FP16 input: each a 400 naming the input and what it expects", async () => {
    const cases: [object, RegExp][] = [
      [{ text: { data: ["a", "b", "c"] } }, /input 'text': data has 3 elements but shape \[1,2\] needs 2/],
      [{ text: { datatype: "FP32" } }, /input 'text': datatype FP32 does not match the model's BYTES/],
      [{ text: { data: ["a", 1] } }, /input 'text': data\[1\] is 1, expected a string/],
      [
        { text: { data: ["YQ", "%"], parameters: { content_type: "base64" } } },
        /input 'text': data\[1\] is not valid base64/,
      ],
      [
        { half: { data: [1, 2, 1e5] } },
        /input 'half': data\[2\] is 100000, expected a finite number within float16's range/,
      ],
      [{ half: { datatype: "BYTES" } }, /input 'half': datatype BYTES does not match the model's FP16/],
    ];
    for (const [over, want] of cases) {
      const r = await infer({ inputs: jsonInputs(over as Record<string, object>) });
      expect([r.statusCode, r.json().error]).toEqual([400, expect.stringMatching(want)]);
    }
    // Bytes that are not UTF-8 cannot become onnxruntime's (JS string) tensors: refused before any batch forms.
    const notText = await infer({
      inputs: jsonInputs({ text: { data: ["_w", "YQ"], parameters: { content_type: "base64" } } }),
    });
    expect([notText.statusCode, notText.json().error]).toEqual([
      400,
      "input 'text': BYTES element 0 is not valid UTF-8 text without NUL bytes, which this model's strings must be",
    ]);
    // onnxruntime-node cuts a string at NUL ("a\0b" reached the model as "a"): refused rather than changed.
    const nul = await infer({ inputs: jsonInputs({ text: { data: ["ok", "a\u0000b"] } }) });
    expect([nul.statusCode, nul.json().error]).toEqual([
      400,
      "input 'text': BYTES element 1 is not valid UTF-8 text without NUL bytes, which this model's strings must be",
    ]);
  });

  it("bad binary BYTES and FP16: a length beyond the buffer, an odd FP16 byte count; a BYTES body over the limit is 413", async () => {
    const header = (text: number, half: number) => ({
      inputs: [
        { name: "text", datatype: "BYTES", shape: [1, 2], parameters: { binary_data_size: text } },
        { name: "half", datatype: "FP16", shape: [1, 3], parameters: { binary_data_size: half } },
        { name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] },
        { name: "flag", datatype: "BOOL", shape: [1, 2], data: [true, false] },
      ],
    });
    const liar = Buffer.concat([prefixed("a"), Buffer.from(new Uint32Array([1 << 30]).buffer)]);
    const r1 = await binary(header(liar.byteLength, 6), [liar, halves([1, 2, 3])]);
    expect([r1.statusCode, r1.json().error]).toEqual([
      400,
      "input 'text': BYTES element 1 claims 1073741824 bytes but parameters.binary_data_size has 0 left",
    ]);
    const text = prefixed("a", "b");
    const r2 = await binary(header(text.byteLength, 5), [text, halves([1, 2, 3]).subarray(0, 5)]);
    expect([r2.statusCode, r2.json().error]).toEqual([
      400,
      "input 'half': parameters.binary_data_size is 5 bytes, not a whole number of FP16 elements (2 bytes each)",
    ]);
    const big = prefixed("a".repeat(3000), "b".repeat(3000));
    const r3 = await binary(header(big.byteLength, 6), [big, halves([1, 2, 3])]);
    expect(r3.statusCode).toBe(413);
  });

  it("bad gRPC BYTES: INVALID_ARGUMENT naming the input (raw length prefix past the end; FP16 in typed contents)", async () => {
    const inputs = [
      { name: "text", datatype: "BYTES", shape: [1, 2] },
      { name: "half", datatype: "FP16", shape: [1, 3] },
      { name: "x", datatype: "FP32", shape: [1, 3] },
      { name: "flag", datatype: "BOOL", shape: [1, 2] },
    ];
    const raw = [
      prefixed("a", "bc").subarray(0, 10),
      halves([1, 2, 3]),
      Buffer.from(Float32Array.from([1, 2, 3]).buffer),
      Buffer.from([1, 0]),
    ];
    const err = (await call(v2, "ModelInfer", { model_name: "m", inputs, raw_input_contents: raw }).catch(
      (e: unknown) => e,
    )) as grpc.ServiceError;
    expect([err.code, err.details]).toEqual([
      grpc.status.INVALID_ARGUMENT,
      "input 'text': BYTES element 1 claims 2 bytes but raw_input_contents[0] has 1 left",
    ]);
    const tf = (await call(tfs, "Predict", {
      model_spec: { name: "m" },
      inputs: {
        text: {
          dtype: "DT_STRING",
          tensor_shape: { dim: [{ size: 1 }, { size: 2 }] },
          tensor_content: Buffer.from("ab"),
        },
      },
    }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect([tf.code, tf.details]).toEqual([
      grpc.status.INVALID_ARGUMENT,
      "inputs['text']: DT_STRING values travel in string_val, not tensor_content",
    ]);
  });
});
