/**
 * A TensorFlow SavedModel as a LoadedModel, run by libtensorflow through @tensorflow/tfjs-node (the `tensorflow`
 * backend must be active). One SignatureDef of one tag set is served; its keys, dtypes and shapes are the signature.
 *
 * Tensors go to and from libtensorflow through tfjs-node's binding, not through tf.Tensor: tfjs has no int64, and
 * its own int32 → int64 path for a SavedModel input zero-extends (-3 arrives as 4294967293), so int64 data is
 * handed over as the exact 8-byte values the request carried, and int64 outputs come back as BigInt64Array.
 */
import * as tf from "@tensorflow/tfjs-node";
// The raw SavedModel proto: tf.node's MetaGraph summary drops TensorShapeProto.unknown_rank (it reads as a scalar).
import { readSavedModelProto } from "@tensorflow/tfjs-node/dist/saved_model.js";
import { ConfigError } from "../../errors.js";
import type { DType, LoadedModel, OutputTensor, TensorSpec, TypedData } from "./loaded-model.js";

export interface SavedModelOptions {
  /** The MetaGraph's tags (--savedmodel-tags); default ["serve"]. */
  tags?: readonly string[];
  /** The SignatureDef's key (--savedmodel-signature); default serving_default. */
  signature?: string;
}

/** The part of tfjs-node's native binding used here (tfjs_binding.d.ts of @tensorflow/tfjs-node 4.22). */
interface Binding {
  createTensor(shape: number[], dtype: number, data: Float32Array | Int32Array | Uint8Array): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): TypedData;
  runSavedModel(
    session: number,
    inputIds: number[],
    inputNames: string,
    outputNames: string,
  ): { id: number; shape: number[]; dtype: number }[];
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_BOOL: number;
  TF_UINT8: number;
}

/** SignatureDef DataType → the runtime's dtype, for inputs and for outputs (uint8 outputs cannot be read back). */
const INPUT_DTYPES: Readonly<Record<string, DType>> = {
  DT_FLOAT: "float32",
  DT_INT32: "int32",
  DT_INT64: "int64",
  DT_BOOL: "bool",
  DT_UINT8: "uint8",
};
const OUTPUT_DTYPES: Readonly<Record<string, DType>> = {
  DT_FLOAT: "float32",
  DT_INT32: "int32",
  DT_INT64: "int64",
  DT_BOOL: "bool",
};

interface TensorInfo {
  tfDtype: string;
  name: string;
  shape: { getSize(): number }[];
}

function spec(key: string, info: TensorInfo, table: Readonly<Record<string, DType>>, what: string): TensorSpec {
  const dtype = table[info.tfDtype];
  if (dtype === undefined) {
    throw new ConfigError(
      `${what} '${key}' has dtype ${info.tfDtype}, which the runtime does not serve for a SavedModel ${what} (${Object.keys(table).join(", ")})`,
    );
  }
  const shape = info.shape.map((d) => {
    const n = Number(d.getSize());
    return n >= 0 ? n : -1;
  });
  return { name: key, dtype, shape, tensorName: info.name };
}

function list(names: Iterable<string>): string {
  return [...names].map((n) => `'${n}'`).join(", ") || "none";
}

/**
 * Reads the SavedModel's MetaGraphs and picks the one with exactly `tags` and its signature `signature`; a folder
 * that is not a SavedModel, tags it lacks, or a signature it lacks are ConfigErrors that name what it has.
 */
async function pick(dir: string, tags: readonly string[], signature: string) {
  let graphs: Awaited<ReturnType<typeof tf.node.getMetaGraphsFromSavedModel>>;
  try {
    graphs = await tf.node.getMetaGraphsFromSavedModel(dir);
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split("\n")[0];
    throw new ConfigError(`the model folder is not a TensorFlow SavedModel (saved_model.pb + variables/): ${first}`);
  }
  // protobuf reads most garbage as an empty message: a SavedModel has at least one MetaGraph.
  if (graphs.length === 0) {
    throw new ConfigError(
      "the model folder is not a TensorFlow SavedModel (saved_model.pb + variables/): its saved_model.pb holds no MetaGraph",
    );
  }
  const same = (a: readonly string[]) => a.length === tags.length && [...a].sort().join() === [...tags].sort().join();
  const graph = graphs.find((g) => same(g.tags));
  if (graph === undefined) {
    throw new ConfigError(
      `the SavedModel has no MetaGraph tagged [${tags.join(", ")}]; it has ${graphs.map((g) => `[${g.tags.join(", ")}]`).join(", ")}`,
    );
  }
  const defs = graph.signatureDefs as unknown as Record<
    string,
    { inputs: Record<string, TensorInfo>; outputs: Record<string, TensorInfo> }
  >;
  const def = defs[signature];
  if (def === undefined) {
    throw new ConfigError(
      `the SavedModel has no signature '${signature}' under tags [${tags.join(", ")}]; it has ${list(Object.keys(defs))}`,
    );
  }
  await refuseUnknownRanks(dir, tags, signature);
  return { def, others: Object.keys(defs).filter((k) => k !== signature) };
}

/** Shape of the parts of the SavedModel proto (google-protobuf messages of tfjs-node's api_pb.js) read here. */
interface ProtoTensorInfo {
  getTensorShape(): { getUnknownRank(): boolean } | undefined;
}
interface ProtoMap {
  keys(): Iterable<string>;
  get(k: string): ProtoTensorInfo;
}

/** A tensor of unknown rank cannot be validated or described (V2 metadata, /openapi.json): refused, named. */
async function refuseUnknownRanks(dir: string, tags: readonly string[], signature: string): Promise<void> {
  const proto = await readSavedModelProto(dir);
  const same = (a: readonly string[]) => a.length === tags.length && [...a].sort().join() === [...tags].sort().join();
  for (const g of proto.getMetaGraphsList()) {
    if (!same(g.getMetaInfoDef().getTagsList())) continue;
    const def = g.getSignatureDefMap().get(signature);
    for (const [what, map] of [
      ["input", def.getInputsMap()],
      ["output", def.getOutputsMap()],
    ] as [string, ProtoMap][]) {
      for (const k of map.keys()) {
        if (map.get(k).getTensorShape()?.getUnknownRank()) {
          throw new ConfigError(
            `${what} '${k}' of signature '${signature}' has an unknown rank, which the runtime does not serve; give it a shape (None for free dimensions)`,
          );
        }
      }
    }
    return;
  }
}

/** The TF_DataType each input dtype is handed over as, with the typed array the binding takes for it. */
function toNative(binding: Binding, dtype: DType, data: TypedData): [number, Float32Array | Int32Array | Uint8Array] {
  switch (dtype) {
    case "float32":
      return [binding.TF_FLOAT, data as Float32Array];
    case "int32":
      return [binding.TF_INT32, data as Int32Array];
    case "int64": {
      // The binding takes int64 as an Int32Array of twice the length (little-endian halves): the same bytes.
      const b = data as BigInt64Array;
      return [binding.TF_INT64, new Int32Array(b.buffer, b.byteOffset, b.length * 2)];
    }
    case "bool":
      return [binding.TF_BOOL, data as Uint8Array];
    case "uint8":
      return [binding.TF_UINT8, data as Uint8Array];
    default:
      throw new Error(`dtype ${dtype} is not an input dtype of a SavedModel`);
  }
}

/** Loads one signature of a SavedModel folder (already verified and private: savedmodel-artifact.ts). */
export async function loadSavedModel(dir: string, opts: SavedModelOptions = {}): Promise<LoadedModel> {
  const tags = opts.tags && opts.tags.length > 0 ? [...opts.tags] : ["serve"];
  const signature = opts.signature || "serving_default";
  const { def, others } = await pick(dir, tags, signature);
  // Keys in the binding's order (protobuf map order), which is the order runSavedModel takes names in.
  const inKeys = Object.keys(def.inputs);
  const outKeys = Object.keys(def.outputs);
  const inputs = inKeys.map((k) => spec(k, def.inputs[k] as TensorInfo, INPUT_DTYPES, "input"));
  const outputs = outKeys.map((k) => spec(k, def.outputs[k] as TensorInfo, OUTPUT_DTYPES, "output"));
  let model: Awaited<ReturnType<typeof tf.node.loadSavedModel>>;
  try {
    model = await tf.node.loadSavedModel(dir, tags, signature);
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split("\n")[0];
    throw new ConfigError(`the SavedModel cannot be loaded by libtensorflow: ${first}`);
  }
  const session = (model as unknown as { sessionId: number }).sessionId;
  const binding = (tf.backend() as unknown as { binding: Binding }).binding;
  const inNames = inputs.map((s) => s.tensorName as string).join(",");
  const outNames = outputs.map((s) => s.tensorName as string).join(",");
  const batched = inputs.length > 0 && inputs.every((s) => s.shape.length > 0 && s.shape[0] === -1);
  return {
    format: "savedmodel",
    signature: { inputs, outputs, batched, signatureName: signature, otherSignatures: others },
    plainJsRows: 0,
    async run(feed) {
      const ids: number[] = [];
      let produced: { id: number; shape: number[] }[] = [];
      try {
        feed.forEach((t, i) => {
          const [dtype, data] = toNative(binding, (inputs[i] as TensorSpec).dtype, t.data);
          ids.push(binding.createTensor(t.shape, dtype, data));
        });
        produced = binding.runSavedModel(session, ids, inNames, outNames);
        return produced.map(
          (m, i): OutputTensor => ({
            data: binding.tensorDataSync(m.id),
            shape: m.shape,
            dtype: (outputs[i] as TensorSpec).dtype,
          }),
        );
      } finally {
        for (const id of ids) binding.deleteTensor(id);
        for (const m of produced) binding.deleteTensor(m.id);
      }
    },
    dispose: () => model.dispose(),
  };
}
