/**
 * /openapi.json for the model being served: once it is loaded, the request
 * bodies of V1 predict and V2 infer are replaced by schemas built from its
 * signature and the request limits, so the document accepts exactly what the
 * runtime accepts (names, datatypes, shapes, value ranges, row counts), which
 * a schema-driven fuzzer checks (test/clients/openapi-fuzz.test.ts).
 *
 * JSON Schema cannot tie `data`'s length to `shape`, so V2 bodies are one
 * alternative per row count (1..--max-request-rows), each input once with that
 * many rows. Exact for models whose inputs have fixed inner dimensions; with a
 * variable inner dimension (-1) `data`'s length is left to the runtime's checks.
 */
import { jsonRange } from "../dtypes.js";
import { servedSignature } from "../grpc/tfs-proto-codec.js";
import { HALF_MAX } from "../half.js";
import type { DType, Signature, TensorSpec } from "../model/loaded-model.js";
import { FLOAT32_MAX } from "../tensors.js";
import { accepts, V2_DATATYPES } from "../v2-protocol.js";

type Schema = Record<string, unknown>;

/** Past this many row alternatives the V2 schema stops enumerating row counts (the document would grow large). */
const MAX_ROW_ALTERNATIVES = 256;

/** TF Serving REST's binary string (V1 bodies only). */
const B64_STRING: Schema = {
  type: "object",
  required: ["b64"],
  additionalProperties: false,
  properties: { b64: { type: "string", contentEncoding: "base64" } },
};

/** Text inputs (TensorSpec.utf8) refuse NUL; that their bytes be UTF-8 is implied by JSON strings. */
const TEXT: Schema = { type: "string", pattern: "^[^\\u0000]*$" };

/** One element's JSON schema; `v1`: BYTES may also be `{"b64": ...}`. */
function element(spec: Pick<TensorSpec, "dtype" | "utf8">, v1 = false): Schema {
  const dtype = spec.dtype;
  if (dtype === "float32") return { type: "number", minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX };
  if (dtype === "float16") return { type: "number", minimum: -HALF_MAX, maximum: HALF_MAX };
  if (dtype === "bool") return { type: "boolean" };
  if (dtype === "bytes") {
    const text = spec.utf8 === true ? TEXT : { type: "string" };
    return v1 ? { anyOf: [text, B64_STRING] } : text;
  }
  const [minimum, maximum] = jsonRange(dtype) as readonly [number, number];
  return { type: "integer", minimum, maximum };
}

function nested(dims: readonly number[], elem: Schema): Schema {
  return dims.reduceRight<Schema>((inner, d) => ({ type: "array", items: inner, minItems: d, maxItems: d }), elem);
}

const inner = (s: TensorSpec) => s.shape.slice(1);
const exact = (s: TensorSpec) => inner(s).every((d) => d >= 0);
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Row counts a request may carry: 1..limit, or the fixed first dimension. */
function rowCounts(sig: Signature, maxRows: number): number[] {
  const fixed = sig.inputs[0]?.shape[0] ?? -1;
  if (!sig.batched && fixed >= 0) return fixed >= 1 && fixed <= maxRows ? [fixed] : [];
  return Array.from({ length: maxRows }, (_, i) => i + 1);
}

/** A shape the runtime accepts when it cannot be enumerated: the row count, then each fixed dimension as it is. */
function shapeRange(spec: TensorSpec, rows: number[]): Schema {
  const dim = (d: number) => (d >= 0 ? { type: "integer", const: d } : { type: "integer", minimum: 0 });
  // No allowed row count (a fixed batch dimension over the limit): nothing is valid, as the runtime says.
  const first = rows.length > 0 ? { type: "integer", minimum: Math.min(...rows), maximum: Math.max(...rows) } : false;
  return {
    type: "array",
    minItems: spec.shape.length,
    maxItems: spec.shape.length,
    prefixItems: spec.shape.length === 0 ? [] : [first, ...inner(spec).map(dim)],
    items: false,
  };
}

function v2Tensor(spec: TensorSpec, rows: number | undefined, allRows: number[]): Schema {
  const elem = element(spec);
  const known = exact(spec) && rows !== undefined;
  const dims = known ? [rows, ...inner(spec)] : undefined;
  return {
    type: "object",
    required: ["name", "datatype", "shape", "data"],
    properties: {
      name: { type: "string", enum: [spec.name] },
      datatype: { type: "string", enum: V2_DATATYPES.filter((d) => accepts(spec.dtype, d)) },
      shape: dims ? { type: "array", items: { type: "integer" }, enum: [dims] } : shapeRange(spec, allRows),
      data: dims
        ? {
            description: "Row-major values, flat or nested as `shape`",
            anyOf: [{ type: "array", items: elem, minItems: size(dims), maxItems: size(dims) }, nested(dims, elem)],
          }
        : { type: "array", description: "Row-major values, flat or nested as `shape`" },
      // JSON bodies carry `data`; binary_data_size belongs to the binary extension.
      parameters: { type: "object", not: { required: ["binary_data_size"] } },
    },
  };
}

/** "Exactly one item (at most one: `min` 0) names `name`": each input once, each output at most once. */
function once(name: string, min = 1): Schema {
  return { contains: { properties: { name: { const: name } }, required: ["name"] }, minContains: min, maxContains: 1 };
}

function v2Body(sig: Signature, maxRows: number): Schema {
  const rows = rowCounts(sig, maxRows);
  const single = sig.inputs.length === 1 ? sig.inputs[0] : undefined;
  const enumerable = sig.inputs.every(exact) && rows.length <= MAX_ROW_ALTERNATIVES;
  let items: Schema | undefined;
  // Multi-input bodies: one alternative per row count, in which every input has that many rows.
  let byRows: Schema[] | undefined;
  if (single !== undefined && enumerable) {
    items = { oneOf: rows.map((r) => v2Tensor(single, r, rows)) };
  } else if (single === undefined && enumerable) {
    byRows = rows.map((r) => ({
      properties: { inputs: { items: { anyOf: sig.inputs.map((s) => v2Tensor(s, r, rows)) } } },
    }));
  } else {
    items = { anyOf: sig.inputs.map((s) => v2Tensor(s, undefined, rows)) };
  }
  const inputs: Schema = { type: "array", minItems: sig.inputs.length, maxItems: sig.inputs.length };
  if (items !== undefined) inputs.items = items;
  if (single === undefined) inputs.allOf = sig.inputs.map((s) => once(s.name));
  return {
    type: "object",
    required: ["inputs"],
    properties: {
      id: { type: "string", description: "Echoed in the response" },
      parameters: {
        type: "object",
        properties: { binary_data_output: { type: "boolean", description: "All outputs as binary data" } },
      },
      inputs,
      outputs: {
        type: "array",
        description: "Optional selection and order of outputs",
        minItems: 1,
        maxItems: sig.outputs.length,
        allOf: sig.outputs.map((o) => once(o.name, 0)),
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string", enum: sig.outputs.map((o) => o.name) },
            parameters: { type: "object", properties: { binary_data: { type: "boolean" } } },
          },
        },
      },
    },
    ...(byRows !== undefined ? { oneOf: byRows } : {}),
  };
}

function v1Body(sig: Signature, maxRows: number): Schema {
  const rowOf = (s: TensorSpec) => nested(inner(s), element(s, true));
  const named: Schema = {
    type: "object",
    additionalProperties: false,
    required: sig.inputs.map((s) => s.name),
    properties: Object.fromEntries(sig.inputs.map((s) => [s.name, rowOf(s)])),
  };
  const only = sig.inputs.length === 1 ? sig.inputs[0] : undefined;
  const rowsOf = (item: Schema) => ({ type: "array", minItems: 1, maxItems: maxRows, items: item });
  const instances = only ? { oneOf: [rowsOf(rowOf(only)), rowsOf(named)] } : rowsOf(named);
  // Columnar: one tensor (single input) or an object of tensors with equal rows.
  const columns = (r: number | undefined): Schema => ({
    type: "object",
    additionalProperties: false,
    required: sig.inputs.map((s) => s.name),
    properties: Object.fromEntries(
      sig.inputs.map((s) => [
        s.name,
        r === undefined ? rowsOf(rowOf(s)) : { type: "array", minItems: r, maxItems: r, items: rowOf(s) },
      ]),
    ),
  });
  const rows = rowCounts(sig, maxRows);
  const inputs = only
    ? { oneOf: [rowsOf(rowOf(only)), columns(undefined)] }
    : rows.length <= MAX_ROW_ALTERNATIVES
      ? { oneOf: rows.map((r) => columns(r)) }
      : columns(undefined);
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      instances: { ...instances, description: "One entry per row" },
      inputs: { ...inputs, description: "Columnar: batch dimension first" },
      signature_name: { type: "string", enum: [servedSignature(sig)] },
    },
    oneOf: [{ required: ["instances"] }, { required: ["inputs"] }],
  };
}

interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** The document with model-specific bodies and path parameters (a copy; `doc` is not changed). */
export function specialise(
  doc: { paths?: Record<string, Record<string, Operation>> },
  model: { name: string; version: string; signature: Signature },
  maxRows: number,
): object {
  const out = structuredClone(doc);
  const bodies: Record<string, Schema> = {
    "/v1/models/{name}:predict": v1Body(model.signature, maxRows),
    "/v1/models/{name}/versions/{version}:predict": v1Body(model.signature, maxRows),
    "/v2/models/{name}/infer": v2Body(model.signature, maxRows),
    "/v2/models/{name}/versions/{version}/infer": v2Body(model.signature, maxRows),
  };
  for (const [path, ops] of Object.entries(out.paths ?? {})) {
    for (const op of Object.values(ops)) {
      for (const p of op.parameters ?? []) {
        if (p.in !== "path") continue;
        if (p.name === "name") p.schema = { type: "string", enum: [model.name] };
        if (p.name === "version") p.schema = { type: "string", enum: [model.version] };
      }
      const body = bodies[path];
      const json = op.requestBody?.content?.["application/json"];
      if (body !== undefined && json !== undefined) json.schema = body;
      // V2 answers binary outputs (the binary tensor data extension) as octet-stream.
      const ok = op.responses?.["200"]?.content;
      if (path.endsWith("/infer") && ok !== undefined) {
        ok["application/octet-stream"] = {
          schema: {
            type: "string",
            format: "binary",
            description: "JSON header (Inference-Header-Content-Length bytes), then output bytes",
          },
        };
      }
    }
  }
  return out;
}
