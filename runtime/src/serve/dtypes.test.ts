import { describe, expect, it } from "vitest";
import { concatInputs, splitOutputs } from "./batcher.js";
import {
  bytesToJson,
  decodeBase64,
  fromLengthPrefixed,
  toLengthPrefixed,
  utf8Bytes,
  utf8Text,
} from "./bytes-tensors.js";
import { decodePredict, encodePredict } from "./grpc/tfs-proto-codec.js";
import { decodeModelInfer } from "./grpc/v2-proto-codec.js";
import { HALF_MAX, halfToNumber, numberToHalf } from "./half.js";
import { decodeV1, encodeV1 } from "./http/v1-json-codec.js";
import { decodeV2, encodeV2 } from "./http/v2-json-codec.js";
import type { OutputTensor, Signature } from "./model/loaded-model.js";
import { fromRaw, toRaw } from "./raw-tensors.js";
import { fromFlat, toNested } from "./tensors.js";
import type { Prepared } from "./validate.js";

const enc = (...xs: string[]) => xs.map(utf8Bytes);
const text = (data: unknown) => (data as Uint8Array[]).map((b) => utf8Text(b));
const arrays = (data: unknown) => (data as Uint8Array[]).map((b) => Array.from(b));
/** The V2 binary form of `parts`: each a 4-byte little-endian length, then its bytes. */
const prefixed = (...parts: Uint8Array[]) =>
  Buffer.concat(parts.flatMap((p) => [Buffer.from(new Uint32Array([p.byteLength]).buffer), Buffer.from(p)]));
const halfBits = (xs: number[]) => Array.from(xs, numberToHalf);

const sig: Signature = {
  inputs: [
    { name: "text", dtype: "bytes", shape: [-1, 2] },
    { name: "half", dtype: "float16", shape: [-1, 3] },
    { name: "flag", dtype: "bool", shape: [-1, 2] },
  ],
  outputs: [
    { name: "text_out", dtype: "bytes", shape: [-1, 2] },
    { name: "half_out", dtype: "float16", shape: [-1, 3] },
    { name: "flag_out", dtype: "bool", shape: [-1, 2] },
  ],
  batched: true,
};
const limits = { maxRequestRows: 16, bodyLimitBytes: 1024 };

describe("float16 (half.ts)", () => {
  it("numberToHalf rounds to nearest even, as numpy's astype(float16) does, and saturates to Infinity", () => {
    // Expected bits from numpy: np.array([...], np.float64).astype(np.float16).view(np.uint16).
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [HALF_MAX, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // half-way to the smallest subnormal: ties to even (0)
      [3 * 2 ** -25, 0x0002], // half-way between 1 and 2 subnormal steps: to even (2)
      [1 + 2 ** -11, 0x3c00], // tie between 1 and its successor: to even (1)
      [1 + 3 * 2 ** -11, 0x3c02],
      [2 ** -14 - 2 ** -25, 0x0400], // rounds up into the smallest normal
      [-0, 0x8000],
    ];
    for (const [v, bits] of cases) expect([v, numberToHalf(v)]).toEqual([v, bits]);
    expect(numberToHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it("every finite half survives half → number → half unchanged", () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (numberToHalf(halfToNumber(h)) !== h) throw new Error(`0x${h.toString(16)} did not round-trip`);
    }
  });
});

describe("BYTES elements (bytes-tensors.ts)", () => {
  it("length-prefixed round trip, empty and binary elements included", () => {
    const data = [utf8Bytes("héllo"), new Uint8Array(0), Uint8Array.from([0xff, 0, 0xfe])];
    const raw = toLengthPrefixed(data);
    expect(Buffer.from(raw)).toEqual(prefixed(...data));
    expect(fromLengthPrefixed(raw, 3, "input 't'", "f").map((b) => Array.from(b))).toEqual(
      data.map((b) => Array.from(b)),
    );
  });

  it("a length beyond the buffer, a truncated length, bytes left over: each a 400 naming input and field", () => {
    const what = "input 'text'";
    const long = Buffer.concat([Buffer.from(new Uint32Array([1000]).buffer), Buffer.from("abc")]);
    expect(() => fromLengthPrefixed(long, 1, what, "raw_input_contents[0]")).toThrow(
      "input 'text': BYTES element 0 claims 1000 bytes but raw_input_contents[0] has 3 left",
    );
    const cut = Buffer.concat([prefixed(utf8Bytes("ab")), Buffer.from([1, 0])]);
    expect(() => fromLengthPrefixed(cut, 2, what, "f")).toThrow(
      "input 'text': f ends inside the length of BYTES element 1 of 2",
    );
    const cut2 = Buffer.concat([prefixed(utf8Bytes("")), Buffer.from([1, 0, 0, 0, 7, 1, 0])]);
    expect(() => fromLengthPrefixed(cut2, 3, what, "f")).toThrow(
      "input 'text': shape needs 3 BYTES elements but f is 11 bytes",
    );
    expect(() => fromLengthPrefixed(prefixed(utf8Bytes("a"), utf8Bytes("b")), 1, what, "f")).toThrow(
      "input 'text': f has 5 bytes after the 1 BYTES elements the shape needs",
    );
  });

  it("a claimed element count is checked against the bytes before the element list is allocated", () => {
    // 2^31 elements would be a 16 GiB list of references; 8 bytes hold at most 2.
    expect(() => fromLengthPrefixed(new Uint8Array(8), 2 ** 31, "input 'text'", "f")).toThrow(
      /shape needs 2147483648 BYTES elements but f is 8 bytes/,
    );
  });

  it("base64 is decoded strictly (standard or URL-safe; padding optional but right)", () => {
    expect(Array.from(decodeBase64("/w==") ?? [])).toEqual([255]);
    expect(Array.from(decodeBase64("_w") ?? [])).toEqual([255]);
    expect(Array.from(decodeBase64("") ?? [1])).toEqual([]);
    for (const bad of ["a", "ab!c", "ab=c", "/w=", "a===", "héllo"])
      expect([bad, decodeBase64(bad)]).toEqual([bad, undefined]);
  });

  it("V2 JSON output: text when every element is UTF-8, else all base64", () => {
    expect(bytesToJson(enc("a", "日本"))).toEqual({ data: ["a", "日本"], base64: false });
    expect(bytesToJson([utf8Bytes("a"), Uint8Array.from([0xff])])).toEqual({ data: ["YQ==", "/w=="], base64: true });
  });
});

describe("JSON values (tensors.ts)", () => {
  it("BYTES: strings are UTF-8, {b64} objects and base64 mode decode, anything else names the element", () => {
    expect(text(fromFlat(["héllo", { b64: "aGk=" }], "bytes", "input 't'"))).toEqual(["héllo", "hi"]);
    expect(text(fromFlat(["aGk="], "bytes", "input 't'", [1], true))).toEqual(["hi"]);
    expect(() => fromFlat(["ok", 5], "bytes", "input 't'")).toThrow(/input 't': data\[1\] is 5, expected a string/);
    expect(() => fromFlat(["a!"], "bytes", "input 't'", [1], true)).toThrow(
      /input 't': data\[0\] is not valid base64, expected a string/,
    );
    expect(() => fromFlat([{ b64: "%%" }], "bytes", "input 't'")).toThrow(/data\[0\] is not valid base64/);
  });

  it("FP16: numbers within ±65504 become half bits; beyond, non-numbers and NaN are refused", () => {
    expect(Array.from(fromFlat([1, -2, 0.1, HALF_MAX], "float16", "input 'h'") as Uint16Array)).toEqual([
      0x3c00, 0xc000, 0x2e66, 0x7bff,
    ]);
    expect(() => fromFlat([70000], "float16", "input 'h'")).toThrow(
      "input 'h': data[0] is 70000, expected a finite number within float16's range (±65504)",
    );
    expect(() => fromFlat(["1"], "float16", "input 'h'")).toThrow(/data\[0\] is a string/);
  });

  it("outputs: float16 as numbers, BYTES as text or {b64} (V1 / TF Serving REST)", () => {
    expect(toNested(Uint16Array.from([0x3c00, 0x2e66]), [1, 2], "float16")).toEqual([[1, 0.0999755859375]]);
    expect(toNested([utf8Bytes("ok"), Uint8Array.from([0xff])], [2], "bytes")).toEqual(["ok", { b64: "/w==" }]);
    expect(toNested([utf8Bytes("x")], [], "bytes")).toBe("x");
  });
});

describe("binary tensors (raw-tensors.ts)", () => {
  it("FP16 into float16 is copied as bits; FP32 into float16 is rounded; BYTES are length-prefixed", () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x0001]);
    const raw = new Uint8Array(bits.buffer);
    expect(Array.from(fromRaw(raw, "FP16", [1, 3], "float16", "input 'h'", "f") as Uint16Array)).toEqual([
      0x3c00, 0xc000, 0x0001,
    ]);
    const f32 = new Uint8Array(Float32Array.from([0.1, 1, -3]).buffer);
    expect(Array.from(fromRaw(f32, "FP32", [3], "float16", "input 'h'", "f") as Uint16Array)).toEqual(
      halfBits([Math.fround(0.1), 1, -3]),
    );
    const text = fromRaw(prefixed(...enc("a", "bc")), "BYTES", [2], "bytes", "input 't'", "f");
    expect(text.length).toBe(2);
    expect(Buffer.from(toRaw({ data: text, shape: [2], dtype: "bytes" }))).toEqual(prefixed(...enc("a", "bc")));
    expect(Array.from(toRaw({ data: bits, shape: [3], dtype: "float16" }))).toEqual(Array.from(raw));
  });

  it("an odd FP16 byte count, an FP16 Infinity or an FP32 beyond the half range: a 400 naming the input", () => {
    expect(() => fromRaw(new Uint8Array(5), "FP16", [3], "float16", "input 'h'", "binary_data_size")).toThrow(
      "input 'h': binary_data_size is 5 bytes, not a whole number of FP16 elements (2 bytes each)",
    );
    const inf = new Uint8Array(Uint16Array.from([0x7c00]).buffer);
    expect(() => fromRaw(inf, "FP16", [1], "float16", "input 'h'", "f")).toThrow("input 'h': element 0 is not finite");
    const big = new Uint8Array(Float32Array.from([1e6]).buffer);
    expect(() => fromRaw(big, "FP32", [1], "float16", "input 'h'", "f")).toThrow(
      "input 'h': element 0 is 1000000, beyond float16's range (±65504)",
    );
  });
});

describe("V2 JSON, V2 gRPC, TF Serving gRPC and REST codecs", () => {
  const outputs: OutputTensor[] = [
    { data: [utf8Bytes("héllo"), utf8Bytes(""), utf8Bytes("a"), utf8Bytes("b")], shape: [2, 2], dtype: "bytes" },
    { data: Uint16Array.from(halfBits([1, 0.5, -2, 0.25, 3, 4])), shape: [2, 3], dtype: "float16" },
    { data: Uint8Array.from([1, 0, 0, 1]), shape: [2, 2], dtype: "bool" },
  ];

  it("V2 JSON: BYTES strings (base64 with content_type), FP16 numbers, BOOL true/false, in and out", () => {
    const req = decodeV2(
      {
        inputs: [
          {
            name: "text",
            datatype: "BYTES",
            shape: [1, 2],
            data: ["/w==", "aGk="],
            parameters: { content_type: "base64" },
          },
          { name: "half", datatype: "FP16", shape: [1, 3], data: [1, 0.5, -2] },
          { name: "flag", datatype: "BOOL", shape: [1, 2], data: [true, false] },
        ],
      },
      sig,
      limits,
    );
    const [t, h, f] = req.prepared.inputs;
    expect(arrays(t?.data)).toEqual([[0xff], [0x68, 0x69]]);
    expect(Array.from(h?.data as Uint16Array)).toEqual(halfBits([1, 0.5, -2]));
    expect(Array.from(f?.data as Uint8Array)).toEqual([1, 0]);
    const { json } = encodeV2(outputs, sig, { ...req, outputs: [0, 1, 2], binary: [false, false, false] }, "m", "1");
    expect((json as { outputs: object[] }).outputs).toEqual([
      { name: "text_out", datatype: "BYTES", shape: [2, 2], data: ["héllo", "", "a", "b"] },
      { name: "half_out", datatype: "FP16", shape: [2, 3], data: [1, 0.5, -2, 0.25, 3, 4] },
      { name: "flag_out", datatype: "BOOL", shape: [2, 2], data: [true, false, false, true] },
    ]);
    const binary = encodeV2(
      [{ ...(outputs[0] as OutputTensor), data: [Uint8Array.from([0xff])], shape: [1, 1] }],
      sig,
      {
        ...req,
        outputs: [0],
        binary: [false],
      },
      "m",
      "1",
    );
    expect((binary.json as { outputs: object[] }).outputs[0]).toMatchObject({
      data: ["/w=="],
      parameters: { content_type: "base64" },
    });
  });

  it("V2 JSON: a BYTES element count that is not the shape's, or a wrong datatype, names the input", () => {
    const body = (text: object) => ({
      inputs: [
        { name: "text", datatype: "BYTES", shape: [1, 2], data: ["a", "b"], ...text },
        { name: "half", datatype: "FP16", shape: [1, 3], data: [1, 2, 3] },
        { name: "flag", datatype: "BOOL", shape: [1, 2], data: [true, false] },
      ],
    });
    expect(() => decodeV2(body({ data: ["a", "b", "c"] }), sig, limits)).toThrow(
      "input 'text': data has 3 elements but shape [1,2] needs 2",
    );
    expect(() => decodeV2(body({ datatype: "FP32" }), sig, limits)).toThrow(
      "input 'text': datatype FP32 does not match the model's BYTES",
    );
  });

  it("V2 gRPC: bytes_contents and raw_input_contents (length-prefixed BYTES, FP16 raw only)", () => {
    const common = { model_name: "m", model_version: "", id: "", outputs: [] };
    const typed = decodeModelInfer(
      {
        ...common,
        inputs: [
          {
            name: "text",
            datatype: "BYTES",
            shape: [1, 2],
            contents: { bytes_contents: [Buffer.from("x"), Buffer.from([0xff])] },
          },
          { name: "half", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } },
          { name: "flag", datatype: "BOOL", shape: [1, 2], contents: { bool_contents: [false, true] } },
        ],
        raw_input_contents: [],
      },
      sig,
      limits,
    );
    expect(arrays(typed.prepared.inputs[0]?.data)).toEqual([[0x78], [0xff]]);
    expect(Array.from(typed.prepared.inputs[1]?.data as Uint16Array)).toEqual(halfBits([1, 2, 3]));
    const half = { name: "half", datatype: "FP16", shape: [1, 3], contents: null };
    const inputs = [
      { name: "text", datatype: "BYTES", shape: [1, 2], contents: null },
      half,
      { name: "flag", datatype: "BOOL", shape: [1, 2], contents: null },
    ];
    const raw = decodeModelInfer(
      {
        ...common,
        inputs,
        raw_input_contents: [
          prefixed(...enc("p", "q")),
          Buffer.from(Uint16Array.from(halfBits([1, 2, 3])).buffer),
          Buffer.from([1, 1]),
        ],
      },
      sig,
      limits,
    );
    expect(text(raw.prepared.inputs[0]?.data)).toEqual(["p", "q"]);
    expect(() =>
      decodeModelInfer(
        {
          ...common,
          inputs: inputs.map((t) =>
            t.name === "half"
              ? { ...t, contents: { fp32_contents: [] } }
              : t.name === "text"
                ? { ...t, contents: { bytes_contents: [Buffer.from("p"), Buffer.from("q")] } }
                : { ...t, contents: { bool_contents: [true, false] } },
          ),
          raw_input_contents: [],
        },
        sig,
        limits,
      ),
    ).toThrow(/input 'half': datatype FP16 must be sent in raw_input_contents/);
  });

  it("TF Serving gRPC: DT_STRING string_val (one value broadcast within the body limit), DT_HALF half_val, DT_BOOL", () => {
    const proto = (dtype: string, shape: number[], field: string, values: unknown[], content = Buffer.alloc(0)) => ({
      dtype,
      tensor_shape: { dim: shape.map((size) => ({ size })), unknown_rank: false },
      tensor_content: content,
      [field]: values,
    });
    const req = (text: ReturnType<typeof proto>) => ({
      model_spec: { name: "m", signature_name: "" },
      inputs: {
        text,
        half: proto("DT_HALF", [1, 3], "half_val", halfBits([1, -2, 0.5])),
        flag: proto("DT_BOOL", [1, 2], "bool_val", [true, true]),
      },
      output_filter: [],
    });
    const { prepared } = decodePredict(
      req(proto("DT_STRING", [1, 2], "string_val", [Buffer.from("a"), Buffer.from([0xff])])),
      sig,
      limits,
    );
    expect(arrays(prepared.inputs[0]?.data)).toEqual([[0x61], [0xff]]);
    expect(Array.from(prepared.inputs[1]?.data as Uint16Array)).toEqual(halfBits([1, -2, 0.5]));
    const broadcast = decodePredict(req(proto("DT_STRING", [1, 2], "string_val", [Buffer.from("z")])), sig, limits);
    expect(text(broadcast.prepared.inputs[0]?.data)).toEqual(["z", "z"]);
    // 16 copies of a 200-byte string would be 3.2 kB: more than the 1 kB body limit could have carried.
    expect(() =>
      decodePredict(req(proto("DT_STRING", [8, 2], "string_val", [Buffer.alloc(200)])), sig, limits),
    ).toThrow(
      /inputs\['text'\]: tensor_shape \[8,2\] needs 16 values; one string_val fills at most 5 \(the body limit \/ 204 bytes\)/,
    );
    expect(() =>
      decodePredict(req(proto("DT_STRING", [1, 2], "string_val", [], Buffer.from("ab"))), sig, limits),
    ).toThrow("inputs['text']: DT_STRING values travel in string_val, not tensor_content");
    expect(() => decodePredict(req(proto("DT_FLOAT", [1, 2], "float_val", [1, 2])), sig, limits)).toThrow(
      "inputs['text']: dtype DT_FLOAT does not match the model's DT_STRING",
    );
    const out = encodePredict(outputs, sig, [0, 1]) as { outputs: Record<string, Record<string, unknown>> };
    expect(out.outputs.text_out).toMatchObject({ dtype: "DT_STRING" });
    expect(text(out.outputs.text_out?.string_val)).toEqual(["héllo", "", "a", "b"]);
    expect(out.outputs.half_out?.dtype).toBe("DT_HALF");
    expect(Array.from(new Uint16Array(new Uint8Array(out.outputs.half_out?.tensor_content as Buffer).buffer))).toEqual(
      halfBits([1, 0.5, -2, 0.25, 3, 4]),
    );
  });

  it('TF Serving REST (V1): strings and {"b64"} values in, text or {"b64"} out; a lone {"b64"} is a value', () => {
    const one: Signature = {
      inputs: [{ name: "s", dtype: "bytes", shape: [-1] }],
      outputs: sig.outputs,
      batched: true,
    };
    const rows = decodeV1({ instances: [{ b64: "/w==" }, "hé"] }, one, limits);
    expect(arrays(rows.prepared.inputs[0]?.data)).toEqual([[0xff], [0x68, 0xc3, 0xa9]]);
    const named = decodeV1(
      { instances: [{ text: ["a", { b64: "Yg==" }], half: [1, 2, 3], flag: [true, false] }] },
      sig,
      limits,
    );
    expect(text(named.prepared.inputs[0]?.data)).toEqual(["a", "b"]);
    const body = encodeV1(
      [{ data: [utf8Bytes("ok"), Uint8Array.from([0xff])], shape: [1, 2], dtype: "bytes" }, outputs[1] as OutputTensor],
      sig,
      "row",
      1,
    );
    expect(body).toEqual({ predictions: [{ text_out: ["ok", { b64: "/w==" }], half_out: [1, 0.5, -2] }] });
    // TF Serving's convention: an output named *_bytes is base64 even when it is text.
    const bytesSig: Signature = { ...one, outputs: [{ name: "image_bytes", dtype: "bytes", shape: [-1] }] };
    const coded = encodeV1([{ data: [utf8Bytes("ok")], shape: [1], dtype: "bytes" }], bytesSig, "columnar", 1);
    expect(coded).toEqual({ outputs: [{ b64: "b2s=" }] });
  });
});

describe("batching BYTES and FP16 rows", () => {
  it("concatenates requests' elements in order and splits outputs back by rows", () => {
    const req = (rows: number, strs: string[], halves: number[]): Prepared => ({
      inputs: [
        { data: enc(...strs), shape: [rows, 2] },
        { data: Uint16Array.from(halfBits(halves)), shape: [rows, 3] },
      ],
      rows,
      batchKey: "2;3;",
    });
    const [t, h] = concatInputs([req(1, ["a", "b"], [1, 2, 3]), req(2, ["c", "d", "e", "f"], [4, 5, 6, 7, 8, 9])]);
    expect(t?.shape).toEqual([3, 2]);
    expect(text(t?.data)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(Array.from(h?.data as Uint16Array)).toEqual(halfBits([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const parts = splitOutputs(
      [
        { data: t?.data as Uint8Array[], shape: [3, 2], dtype: "bytes" },
        { data: h?.data as Uint16Array, shape: [3, 3], dtype: "float16" },
      ],
      [1, 2],
    );
    expect(parts.map((p) => text(p[0]?.data))).toEqual([
      ["a", "b"],
      ["c", "d", "e", "f"],
    ]);
    expect(parts.map((p) => Array.from(p[1]?.data as Uint16Array).map(halfToNumber))).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7, 8, 9],
    ]);
  });
});
