// The trained artifact: model.json + weights.bin (the serving topology), the DataSet's preprocessing.json and
// stats.json (so serving takes raw records and monitoring has its drift baseline), liftoff.json (lineage) and
// manifest.json listing every file with its sha256. The artifact's digest is the sha256 of manifest.json; the
// folder is written under a temporary name and renamed to <out>/<digest hex>/, so a reader never sees half of it.
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ARTIFACT_FORMAT_VERSION, type ManifestFile, type ManifestJson } from "../contract/artifacts.js";
import type { EpochPoint } from "../contract/history.js";
import { type Head, servingTopology } from "./layers.js";
import type { TrainSpec } from "./spec.js";

/** liftoff.json: where a model came from. */
export interface LineageJson {
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  trainingJob: { name: string; namespace?: string; uid?: string; generation?: number };
  dataSet: { name: string; digest: string };
  task: TrainSpec["task"];
  classes?: string[];
  hyperparameters: Omit<TrainSpec, "name" | "dataSet" | "task" | "model">;
  model: TrainSpec["model"];
  /** Metrics on the test split. */
  finalMetrics: Record<string, number>;
  epochs: number;
  /** Loss and validation metrics of every epoch (status.history keeps at most 200 of them). */
  history?: EpochPoint[];
  /** DP-SGD: the privacy the training spent (ε at δ from the RDP accountant) and how (dp-plan.ts). */
  privacy?: {
    epsilon: number;
    delta: number;
    noiseMultiplier: number;
    steps: number;
    accountant: "rdp";
    l2NormClip: number;
    sampling: "poisson" | "shuffle";
    sampleRate: number;
  };
  tfjsVersion: string;
  backend: string;
  createdAt: string;
}

const sha256Hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** model.json and weights.bin bytes of a trained model, with the head's activation restored. */
export async function serializeModel(
  model: tf.LayersModel,
  head: Head,
): Promise<{ json: string; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  if (!saved?.weightData || !saved.weightSpecs) throw new Error("the model saved no weights");
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const json = JSON.stringify({
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: "liftoff train",
    modelTopology: servingTopology(saved.modelTopology, head),
    weightsManifest: [{ paths: ["weights.bin"], weights: saved.weightSpecs }],
  });
  return { json, weights };
}

export interface Published {
  dir: string;
  /** "sha256:<hex>" of manifest.json. */
  digest: string;
}

export async function publishArtifact(
  out: string,
  dataDir: string,
  model: { json: string; weights: Uint8Array },
  lineage: LineageJson,
): Promise<Published> {
  return publishFolder(out, dataDir, { "model.json": model.json, "weights.bin": model.weights }, lineage);
}

/**
 * The artifact folder of any run: the model's files (TF.js model.json + weights.bin, or a pytorch run's model.onnx),
 * the DataSet's preprocessing.json and stats.json, liftoff.json and manifest.json, renamed into place at once.
 */
export async function publishFolder(
  out: string,
  dataDir: string,
  modelFiles: Record<string, Uint8Array | string>,
  lineage: { trainingJob: { uid?: string | undefined } },
): Promise<Published> {
  await mkdir(out, { recursive: true });
  // The temporary folder carries the run's uid, so the next attempt of the same run (a Job runs one pod at a time)
  // removes what a killed one left half-written; without a uid (a local run) nothing is removed.
  const uid = lineage.trainingJob.uid?.replace(/[^a-zA-Z0-9-]/g, "");
  if (uid) {
    for (const name of await readdir(out)) {
      if (name.startsWith(`.tmp-${uid}-`)) await rm(path.join(out, name), { recursive: true, force: true });
    }
  }
  const tmp = path.join(out, `.tmp-${uid ? `${uid}-` : ""}${randomBytes(6).toString("hex")}`);
  await mkdir(tmp);
  try {
    const files: ManifestFile[] = [];
    const put = async (name: string, bytes: Uint8Array | string) => {
      await writeFile(path.join(tmp, name), bytes);
      files.push({ path: name, sha256: sha256Hex(bytes), size: Buffer.byteLength(bytes) });
    };
    for (const [name, bytes] of Object.entries(modelFiles)) await put(name, bytes);
    for (const name of ["preprocessing.json", "stats.json"]) {
      await copyFile(path.join(dataDir, name), path.join(tmp, name));
      const bytes = await readFile(path.join(tmp, name));
      files.push({ path: name, sha256: sha256Hex(bytes), size: bytes.byteLength });
    }
    await put("liftoff.json", `${JSON.stringify(lineage, null, 2)}\n`);
    const manifest: ManifestJson = { formatVersion: ARTIFACT_FORMAT_VERSION, kind: "TrainingJob", files };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(path.join(tmp, "manifest.json"), manifestText);
    const hex = sha256Hex(manifestText);
    const dir = path.join(out, hex);
    if (await stat(dir).catch(() => undefined)) await rm(tmp, { recursive: true, force: true });
    else await rename(tmp, dir);
    return { dir, digest: `sha256:${hex}` };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
