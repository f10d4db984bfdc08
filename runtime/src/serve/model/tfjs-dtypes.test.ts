/**
 * TF.js string and bool tensors: a hand-written graph model (Identity on strings, LogicalNot on bools) served
 * in-process. TF.js string tensors hold byte strings, so binary (non-UTF-8) elements go through unchanged.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFor, tempDir } from "../test-helpers.js";

async function stringBoolGraph(dir: string): Promise<string> {
  const f = (type: string) => ({ type });
  const dims = { dim: [{ size: "-1" }, { size: "2" }] };
  const json = {
    format: "graph-model",
    generatedBy: "liftoff-test",
    convertedBy: "hand-written",
    modelTopology: {
      node: [
        { name: "s", op: "Placeholder", attr: { dtype: f("DT_STRING"), shape: { shape: dims } } },
        { name: "b", op: "Placeholder", attr: { dtype: f("DT_BOOL"), shape: { shape: dims } } },
        { name: "s_out", op: "Identity", input: ["s"], attr: { T: f("DT_STRING") } },
        { name: "b_not", op: "LogicalNot", input: ["b"] },
      ],
      library: {},
      versions: { producer: 1 },
    },
    signature: {
      inputs: {
        "s:0": { name: "s:0", dtype: "DT_STRING", tensorShape: dims },
        "b:0": { name: "b:0", dtype: "DT_BOOL", tensorShape: dims },
      },
      outputs: {
        "s_out:0": { name: "s_out:0", dtype: "DT_STRING", tensorShape: dims },
        "b_not:0": { name: "b_not:0", dtype: "DT_BOOL", tensorShape: dims },
      },
    },
    weightsManifest: [],
  };
  const file = path.join(dir, "model.json");
  await writeFile(file, JSON.stringify(json));
  return file;
}

describe("tfjs graph model: string and bool tensors", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = (await serverFor(await stringBoolGraph(await tempDir()), { maxBatchSize: 8 })).app;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("metadata: BYTES and BOOL from the graph's signature", async () => {
    const meta = (await app.inject({ method: "GET", url: "/v2/models/m" })).json();
    expect(meta.inputs).toEqual([
      { name: "s", datatype: "BYTES", shape: [-1, 2] },
      { name: "b", datatype: "BOOL", shape: [-1, 2] },
    ]);
  });

  it("V2 binary: non-UTF-8 bytes pass through the model unchanged; V2 JSON answers them as base64", async () => {
    const elems = [Buffer.from([0xff, 0x00, 0xfe]), Buffer.from("héllo"), Buffer.alloc(0), Buffer.from("x")];
    const text = Buffer.concat(elems.flatMap((e) => [Buffer.from(new Uint32Array([e.byteLength]).buffer), e]));
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: "s", datatype: "BYTES", shape: [2, 2], parameters: { binary_data_size: text.byteLength } },
          { name: "b", datatype: "BOOL", shape: [2, 2], data: [true, false, false, true] },
        ],
        outputs: [{ name: "s_out", parameters: { binary_data: true } }, { name: "b_not" }],
      }),
    );
    const r = await app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: Buffer.concat([header, text]),
      headers: { "inference-header-content-length": String(header.byteLength) },
    });
    expect(r.statusCode).toBe(200);
    const n = Number(r.headers["inference-header-content-length"]);
    const head = JSON.parse(r.rawPayload.subarray(0, n).toString());
    expect(head.outputs[1]).toEqual({
      name: "b_not",
      datatype: "BOOL",
      shape: [2, 2],
      data: [false, true, true, false],
    });
    expect(r.rawPayload.subarray(n)).toEqual(text);
    const json = await app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: {
        inputs: [
          {
            name: "s",
            datatype: "BYTES",
            shape: [1, 2],
            data: ["/wA=", "aGk="],
            parameters: { content_type: "base64" },
          },
          { name: "b", datatype: "BOOL", shape: [1, 2], data: [true, true] },
        ],
        outputs: [{ name: "s_out" }],
      },
    });
    expect(json.json().outputs[0]).toEqual({
      name: "s_out",
      datatype: "BYTES",
      shape: [1, 2],
      data: ["/wA=", "aGk="],
      parameters: { content_type: "base64" },
    });
  });

  it('TF Serving REST: {"b64"} binary strings in, {"b64"} out for what is not UTF-8, text for the rest', async () => {
    const r = await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: { instances: [{ s: [{ b64: "/w==" }, "ok"], b: [false, true] }] },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().predictions).toEqual([{ s_out: [{ b64: "/w==" }, "ok"], b_not: [true, false] }]);
  });
});
