import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { halfToNumber } from "../half.js";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";

const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);

/** A binary-extension body: JSON header, then the tensors' bytes. */
function body(header: object, ...parts: Buffer[]): { payload: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { payload: Buffer.concat([json, ...parts]), headerLength: json.byteLength };
}

const row = (size: number, datatype = "FP32", shape = [1, 3]) => ({
  name: "dense_input",
  datatype,
  shape,
  parameters: { binary_data_size: size },
});

describe("V2 binary tensor data extension", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = (await serverFor(await saveLayersModel(tinyDense(), await tempDir()), { bodyLimitBytes: 4096 })).app;
  });
  afterAll(async () => {
    await app.close();
  });

  const infer = (payload: Buffer | string, headerLength?: number | string) =>
    app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload,
      headers: headerLength === undefined ? {} : { "inference-header-content-length": String(headerLength) },
    });

  const bin = (header: object, ...parts: Buffer[]) => {
    const b = body(header, ...parts);
    return infer(b.payload, b.headerLength);
  };

  it("binary inputs and binary_data_output: the answer is a JSON header and raw FP32", async () => {
    const { payload, headerLength } = body(
      { inputs: [row(24, "FP32", [2, 3])], parameters: { binary_data_output: true } },
      f32([1, 2, 3, 0, 0, 0]),
    );
    const r = await infer(payload, headerLength);
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toBe("application/octet-stream");
    const n = Number(r.headers["inference-header-content-length"]);
    const raw = r.rawPayload;
    expect(JSON.parse(raw.subarray(0, n).toString())).toEqual({
      model_name: "m",
      model_version: "1",
      outputs: [{ name: "dense", datatype: "FP32", shape: [2, 2], parameters: { binary_data_size: 16 } }],
    });
    expect(Array.from(new Float32Array(new Uint8Array(raw.subarray(n)).buffer))).toEqual([4.5, 4.5, 0.5, -0.5]);
  });

  it("binary in, JSON out per output (binary_data: false), and FP64/FP16 bytes converted", async () => {
    const f64 = Buffer.from(new Float64Array([1, 2, 3]).buffer);
    const a = await bin(
      { inputs: [row(24, "FP64")], outputs: [{ name: "dense", parameters: { binary_data: false } }] },
      f64,
    );
    expect(a.json().outputs[0]).toEqual({ name: "dense", datatype: "FP32", shape: [1, 2], data: [4.5, 4.5] });
    // 1.0, 2.0, 3.0 as IEEE half floats.
    const f16 = Buffer.from(new Uint16Array([0x3c00, 0x4000, 0x4200]).buffer);
    const b = await bin({ inputs: [row(6, "FP16")] }, f16);
    expect(b.json().outputs[0].data).toEqual([4.5, 4.5]);
    expect([halfToNumber(0x3c00), halfToNumber(0xc000), halfToNumber(0x0001)]).toEqual([1, -2, 2 ** -24]);
  });

  it.each([
    [
      "a header length longer than the body",
      () => infer('{"inputs":[]}', 999),
      "Inference-Header-Content-Length is 999 but the body has only 13 bytes",
      "LIFTOFF_ERR_BAD_REQUEST",
    ],
    [
      "a header length that is not a number",
      () => infer('{"inputs":[]}', "12abc"),
      "Inference-Header-Content-Length must be a non-negative integer",
      "LIFTOFF_ERR_BAD_REQUEST",
    ],
    [
      "a header length that cuts the JSON",
      () => infer('{"inputs":[]}', 5),
      "request body is not valid JSON",
      "LIFTOFF_ERR_INVALID_JSON",
    ],
    [
      "bytes that do not match shape × datatype",
      () => bin({ inputs: [row(8)] }, f32([1, 2])),
      "input 'dense_input': parameters.binary_data_size is 8 bytes but shape [1,3] of FP32 needs 12",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "a binary_data_size past the end of the body",
      () => bin({ inputs: [row(12)] }, f32([1])),
      "input 'dense_input': parameters.binary_data_size 12 runs past the end of the body (4 bytes left)",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "binary bytes left over",
      () => bin({ inputs: [row(12)] }, f32([1, 2, 3, 4])),
      "the binary part is 16 bytes but the inputs' binary_data_size add up to 12",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "binary_data_size without the header",
      () => infer(JSON.stringify({ inputs: [row(12)] })),
      "input 'dense_input': parameters.binary_data_size is set but the request has no binary part (Inference-Header-Content-Length)",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "an unknown datatype",
      () => bin({ inputs: [row(12, "FP8")] }, f32([1, 2, 3])),
      "input 'dense_input': unknown datatype 'FP8'",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "a non-finite float",
      () => bin({ inputs: [row(12)] }, f32([1, Number.NaN, 3])),
      "input 'dense_input': element 1 is not finite",
      "LIFTOFF_ERR_INVALID_INPUT",
    ],
    [
      "a binary body over the limit",
      () => bin({ inputs: [row(8192)] }, Buffer.alloc(8192)),
      "request body is larger than the limit of 4096 bytes",
      "LIFTOFF_ERR_PAYLOAD_TOO_LARGE",
    ],
  ])("%s is refused", async (_name, call, error, code) => {
    const r = await call();
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
    expect(r.statusCode).toBeLessThan(500);
    expect(r.json()).toEqual({ error, code });
  });

  it("V1 refuses the extension", async () => {
    const r = await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: '{"instances":[[1,2,3]]}xx',
      headers: { "inference-header-content-length": "23" },
    });
    expect([r.statusCode, r.json().code]).toEqual([400, "LIFTOFF_ERR_BAD_REQUEST"]);
  });
});
