/**
 * Test fixtures: tiny real ONNX models, written as ModelProto bytes with the
 * few fields of onnx.proto they need (protobufjs; no Python, no download), that
 * onnxruntime loads and runs like any other.
 */
import protobuf from "protobufjs";

/** The subset of onnx/onnx.proto (field numbers as there) a graph of plain nodes needs. */
const ONNX_PROTO = {
  nested: {
    ModelProto: {
      fields: {
        irVersion: { id: 1, type: "int64" },
        producerName: { id: 2, type: "string" },
        graph: { id: 7, type: "GraphProto" },
        opsetImport: { id: 8, type: "OperatorSetIdProto", rule: "repeated" },
      },
    },
    OperatorSetIdProto: { fields: { domain: { id: 1, type: "string" }, version: { id: 2, type: "int64" } } },
    GraphProto: {
      fields: {
        node: { id: 1, type: "NodeProto", rule: "repeated" },
        name: { id: 2, type: "string" },
        input: { id: 11, type: "ValueInfoProto", rule: "repeated" },
        output: { id: 12, type: "ValueInfoProto", rule: "repeated" },
      },
    },
    NodeProto: {
      fields: {
        input: { id: 1, type: "string", rule: "repeated" },
        output: { id: 2, type: "string", rule: "repeated" },
        name: { id: 3, type: "string" },
        opType: { id: 4, type: "string" },
      },
    },
    ValueInfoProto: { fields: { name: { id: 1, type: "string" }, type: { id: 2, type: "TypeProto" } } },
    TypeProto: { fields: { tensorType: { id: 1, type: "TensorTypeProto" } } },
    TensorTypeProto: { fields: { elemType: { id: 1, type: "int32" }, shape: { id: 2, type: "TensorShapeProto" } } },
    TensorShapeProto: { fields: { dim: { id: 1, type: "Dimension", rule: "repeated" } } },
    Dimension: { fields: { dimValue: { id: 1, type: "int64" }, dimParam: { id: 2, type: "string" } } },
  },
};

/** onnx.proto TensorProto.DataType numbers. */
export const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 } as const;

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
}

/** A ModelProto (IR 8, opset 13) of `nodes` between `inputs` and `outputs`. */
export function onnxModel(inputs: OnnxTensorDecl[], outputs: OnnxTensorDecl[], nodes: OnnxNode[]): Uint8Array {
  const root = protobuf.Root.fromJSON(ONNX_PROTO);
  const Model = root.lookupType("ModelProto");
  const value = (t: OnnxTensorDecl) => ({
    name: t.name,
    type: {
      tensorType: {
        elemType: t.elem,
        shape: { dim: t.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const msg = Model.fromObject({
    irVersion: 8,
    producerName: "liftoff-test",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "test",
      node: nodes.map((n, i) => ({ input: n.inputs, output: n.outputs, name: `n${i}`, opType: n.op })),
      input: inputs.map(value),
      output: outputs.map(value),
    },
  });
  return Model.encode(msg).finish();
}

/**
 * One input of each dtype the runtime serves, batched: x float32 [batch,3] → doubled = x + x; ids int64 [batch,2]
 * → ids_plus = ids + ids; u uint8 [batch,2], s int8 [batch,2], b bool [batch,1] → each echoed as `<name>_out`.
 */
export function allDtypesOnnx(): Uint8Array {
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
      { op: "Add", inputs: ["x", "x"], outputs: ["doubled"] },
      { op: "Add", inputs: ["ids", "ids"], outputs: ["ids_plus"] },
      { op: "Identity", inputs: ["u"], outputs: ["u_out"] },
      { op: "Identity", inputs: ["s"], outputs: ["s_out"] },
      { op: "Identity", inputs: ["b"], outputs: ["b_out"] },
    ],
  );
}
