/**
 * Test fixtures: tiny real ONNX models, written as ModelProto bytes with the
 * few fields of onnx.proto they need (no Python, no download), that
 * onnxruntime loads and runs like any other.
 */
/**
 * The protobuf wire format, as much as a ModelProto needs: a message is its fields in order, each a key
 * (field number << 3 | wire type) then a varint (type 0) or a length-prefixed byte string (type 2).
 */
type Field = [field: number, value: number | string | Uint8Array];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function message(fields: Field[]): Uint8Array {
  const parts: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === "number") {
      parts.push(...varint(field * 8), ...varint(value));
      continue;
    }
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
    parts.push(...varint(field * 8 + 2), ...varint(bytes.byteLength), ...bytes);
  }
  return new Uint8Array(parts);
}

/** onnx.proto TensorProto.DataType numbers. */
export const ELEM = {
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
} as const;

export interface OnnxTensorDecl {
  name: string;
  elem: number;
  /** A number is a fixed size; a string a symbolic one ("batch"). */
  dims: (number | string)[];
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer or string attributes (Cast's `to`, StringNormalizer's `case_change_action`). */
  attrs?: Record<string, number | string>;
}

/** A ModelProto (IR 8, opset 13) of `nodes` between `inputs` and `outputs` (field numbers as in onnx/onnx.proto). */
export function onnxModel(inputs: OnnxTensorDecl[], outputs: OnnxTensorDecl[], nodes: OnnxNode[]): Uint8Array {
  // ValueInfoProto{name 1, type 2: TypeProto{tensor_type 1: {elem_type 1, shape 2: {dim 1: {dim_value 1 | dim_param 2}}}}}
  const value = (t: OnnxTensorDecl) => {
    const dims = t.dims.map((d): Field => [1, message([typeof d === "number" ? [1, d] : [2, d]])]);
    const tensorType = message([
      [1, t.elem],
      [2, message(dims)],
    ]);
    return message([
      [1, t.name],
      [2, message([[1, tensorType]])],
    ]);
  };
  // AttributeProto{name 1, i 3, s 4, type 20 (INT 2, STRING 3)}
  const attr = ([name, v]: [string, number | string]): Field => [
    5,
    message(
      typeof v === "number"
        ? [
            [1, name],
            [3, v],
            [20, 2],
          ]
        : [
            [1, name],
            [4, v],
            [20, 3],
          ],
    ),
  ];
  // NodeProto{input 1*, output 2*, name 3, op_type 4, attribute 5*}
  const node = (n: OnnxNode, i: number) =>
    message([
      ...n.inputs.map((x): Field => [1, x]),
      ...n.outputs.map((x): Field => [2, x]),
      [3, `n${i}`],
      [4, n.op],
      ...Object.entries(n.attrs ?? {}).map(attr),
    ]);
  // GraphProto{node 1*, name 2, input 11*, output 12*}
  const graph = message([
    ...nodes.map((n, i): Field => [1, node(n, i)]),
    [2, "test"],
    ...inputs.map((t): Field => [11, value(t)]),
    ...outputs.map((t): Field => [12, value(t)]),
  ]);
  // ModelProto{ir_version 1, producer_name 2, graph 7, opset_import 8: OperatorSetIdProto{domain 1, version 2}}
  return message([
    [1, 8],
    [2, "liftoff-test"],
    [7, graph],
    [8, message([[2, 13]])],
  ]);
}

/**
 * One input of each dtype the runtime serves, batched: x float32 [batch,3] → doubled = x + x; ids int64 [batch,2]
 * → ids_plus = ids + ids; u uint8 [batch,2], s int8 [batch,2], b bool [batch,1] → each echoed as `<name>_out`.
 * `arith: "Identity"` echoes x and ids too (a fuzzer's extreme values then cannot overflow inside the model).
 */
export function allDtypesOnnx(arith: "Add" | "Identity" = "Add"): Uint8Array {
  const twice = (x: string) => (arith === "Add" ? [x, x] : [x]);
  const t = (name: string, elem: number, width: number): OnnxTensorDecl => ({ name, elem, dims: ["batch", width] });
  return onnxModel(
    [t("x", ELEM.float, 3), t("ids", ELEM.int64, 2), t("u", ELEM.uint8, 2), t("s", ELEM.int8, 2), t("b", ELEM.bool, 1)],
    [
      t("doubled", ELEM.float, 3),
      t("ids_plus", ELEM.int64, 2),
      t("u_out", ELEM.uint8, 2),
      t("s_out", ELEM.int8, 2),
      t("b_out", ELEM.bool, 1),
    ],
    [
      { op: arith, inputs: twice("x"), outputs: ["doubled"] },
      { op: arith, inputs: twice("ids"), outputs: ["ids_plus"] },
      { op: "Identity", inputs: ["u"], outputs: ["u_out"] },
      { op: "Identity", inputs: ["s"], outputs: ["s_out"] },
      { op: "Identity", inputs: ["b"], outputs: ["b_out"] },
    ],
  );
}

/**
 * The dtypes beyond numbers, batched: text string [batch,2] → text_out (Identity); half float16 [batch,3] → half_out
 * (Identity) and half_as_float (Cast to float32); x float32 [batch,3] → x_as_half (Cast to float16, rounding);
 * flag bool [batch,2] → flag_not (Not).
 */
export function textHalfBoolOnnx(): Uint8Array {
  const t = (name: string, elem: number, width: number): OnnxTensorDecl => ({ name, elem, dims: ["batch", width] });
  return onnxModel(
    [t("text", ELEM.string, 2), t("half", ELEM.float16, 3), t("x", ELEM.float, 3), t("flag", ELEM.bool, 2)],
    [
      t("text_out", ELEM.string, 2),
      t("half_out", ELEM.float16, 3),
      t("half_as_float", ELEM.float, 3),
      t("x_as_half", ELEM.float16, 3),
      t("flag_not", ELEM.bool, 2),
    ],
    [
      { op: "Identity", inputs: ["text"], outputs: ["text_out"] },
      { op: "Identity", inputs: ["half"], outputs: ["half_out"] },
      { op: "Cast", inputs: ["half"], outputs: ["half_as_float"], attrs: { to: ELEM.float } },
      { op: "Cast", inputs: ["x"], outputs: ["x_as_half"], attrs: { to: ELEM.float16 } },
      { op: "Not", inputs: ["flag"], outputs: ["flag_not"] },
    ],
  );
}
