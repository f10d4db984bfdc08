/**
 * A fetched artifact as TensorFlow.js reads it: model.json and weight files
 * packed into tf.io's ModelArtifacts, and the format and tensor names as authored.
 */
import type * as tf from "@tensorflow/tfjs";
import type { FetchedArtifact } from "../../artifact.js";

/** Packs weight files into the single buffer tf.io expects. */
function concatWeights(files: readonly Uint8Array[]): ArrayBuffer {
  const total = files.reduce((n, f) => n + f.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const f of files) {
    out.set(f, offset);
    offset += f.byteLength;
  }
  return out.buffer;
}

/** model.json's own fields that ModelArtifacts carries as they are. */
const CARRIED = [
  "modelTopology",
  "format",
  "generatedBy",
  "convertedBy",
  "signature",
  "userDefinedMetadata",
  "modelInitializer",
  "initializerSignature",
  "trainingConfig",
] as const satisfies readonly (keyof tf.io.ModelArtifacts)[];

export function toModelArtifacts(a: FetchedArtifact): tf.io.ModelArtifacts {
  const j = a.modelJson as Record<string, unknown> & { weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[] };
  const artifacts: tf.io.ModelArtifacts = {
    weightSpecs: (j.weightsManifest ?? []).flatMap((g) => g.weights),
    weightData: concatWeights(a.weightFiles),
  };
  // A field model.json lacks is left out, as tf.io's own loaders do.
  for (const k of CARRIED) if (j[k] !== undefined) (artifacts as Record<string, unknown>)[k] = j[k];
  return artifacts;
}

export function isGraphModel(modelJson: Record<string, unknown>): boolean {
  if (modelJson.format === "graph-model") return true;
  if (modelJson.format === "layers-model") return false;
  const topo = modelJson.modelTopology as Record<string, unknown> | undefined;
  return Array.isArray(topo?.node);
}

interface LayerConf {
  class_name?: string;
  config?: { name?: string; layers?: LayerConf[] } & Record<string, unknown>;
}

/**
 * Input/output names as authored (Keras conventions), read from the topology:
 * tfjs renames tensors on every load (`dense_input_1`), which clients must not see.
 */
export function layersNames(topology: unknown): { inputs: string[]; outputs: string[] } | undefined {
  const root = ((topology as { model_config?: LayerConf })?.model_config ?? topology) as LayerConf | undefined;
  const cfg = root?.config as
    | (LayerConf["config"] & { input_layers?: unknown[][]; output_layers?: unknown[][] })
    | undefined;
  if (root?.class_name === "Sequential") {
    const layers = cfg?.layers ?? [];
    const first = layers[0]?.config?.name;
    const last = layers[layers.length - 1]?.config?.name;
    if (first === undefined || last === undefined) return undefined;
    return { inputs: [layers[0]?.class_name === "InputLayer" ? first : `${first}_input`], outputs: [last] };
  }
  if (Array.isArray(cfg?.input_layers) && Array.isArray(cfg?.output_layers)) {
    return {
      inputs: cfg.input_layers.map((l) => String(l[0])),
      outputs: cfg.output_layers.map((l) => String(l[0])),
    };
  }
  return undefined;
}
