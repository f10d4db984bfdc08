/**
 * Test fixtures: small real TF.js models written to temp dirs in the standard
 * model.json + weights layout, and a server around them. No downloads.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { fetchArtifact } from "../artifact.js";
import { type BackendInfo, quietCpuBanner } from "../backends.js";
import { buildHttpApp } from "./http/app.js";
import { RuntimeMetrics } from "./metrics.js";
import { loadModel } from "./model/load.js";
import { ModelHost, type ModelHostOptions } from "./model-host.js";

// Tests run on the default cpu backend without activate(); keep their output clean too.
quietCpuBanner();

export async function tempDir(prefix = "liftoff-rt-"): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Writes a layers model as model.json + weights.bin; returns the model.json path. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weightData = a.weightData as ArrayBuffer;
      const json = {
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }],
      };
      await writeFile(path.join(dir, "model.json"), JSON.stringify(json));
      await writeFile(path.join(dir, "weights.bin"), Buffer.from(weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return path.join(dir, "model.json");
}

/** y = x·W + b with W = [[1,0],[0,1],[1,1]], b = [0.5,-0.5]: input dense_input [-1,3], output dense [-1,2]. */
export function tinyDense(): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: "dense" })] });
  m.setWeights([tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]), tf.tensor1d([0.5, -0.5])]);
  return m;
}

export function tinyDenseExpected(row: readonly number[]): number[] {
  const [a = 0, b = 0, c = 0] = row;
  return [a + c + 0.5, b + c - 0.5];
}

/**
 * Two inputs (a: float32 [-1,2], b: int32 [-1,4] with values 0..9) and two
 * outputs: sum = Σa + Σb [-1,1] and triple = three copies of sum [-1,3].
 * b goes through an identity embedding (i → i): TensorFlow will not concat int32 with float32.
 */
export function twoInTwoOut(): tf.LayersModel {
  const a = tf.input({ shape: [2], name: "a" });
  const b = tf.input({ shape: [4], dtype: "int32", name: "b" });
  const embed = tf.layers.embedding({ inputDim: 10, outputDim: 1, name: "identity" });
  const bf = tf.layers.flatten().apply(embed.apply(b)) as tf.SymbolicTensor;
  const both = tf.layers.concatenate({ name: "concat" }).apply([a, bf]) as tf.SymbolicTensor;
  const sum = tf.layers.dense({ units: 1, name: "sum", kernelInitializer: "ones", useBias: false }).apply(both);
  const triple = tf.layers.dense({ units: 3, name: "triple", kernelInitializer: "ones", useBias: false }).apply(both);
  const model = tf.model({ inputs: [a, b], outputs: [sum as tf.SymbolicTensor, triple as tf.SymbolicTensor] });
  embed.setWeights([
    tf.tensor2d(
      Array.from({ length: 10 }, (_, i) => i),
      [10, 1],
    ),
  ]);
  return model;
}

/** An MLP for benchmarks: [-1,inputs] → `depth` relu layers of `hidden` → softmax classes. */
export function mlp(inputs = 16, hidden = 64, classes = 4, depth = 2): tf.LayersModel {
  const layers = Array.from({ length: depth }, (_, i) =>
    tf.layers.dense({
      units: hidden,
      activation: "relu",
      name: i === 0 ? "hidden" : `hidden${i + 1}`,
      ...(i === 0 ? { inputShape: [inputs] } : {}),
    }),
  );
  return tf.sequential({
    layers: [...layers, tf.layers.dense({ units: classes, activation: "softmax", name: "probs" })],
  });
}

/**
 * A graph model (TF GraphDef as tfjs-converter writes it): y = MatMul(x, w)
 * with x float32 [-1,3] and w = [[1,0],[0,1],[1,1]], so y = [a+c, b+c].
 */
export async function saveGraphModel(dir: string): Promise<string> {
  const f = (type: string) => ({ type });
  const json = {
    format: "graph-model",
    generatedBy: "liftoff-test",
    convertedBy: "hand-written",
    modelTopology: {
      node: [
        {
          name: "x",
          op: "Placeholder",
          attr: { dtype: f("DT_FLOAT"), shape: { shape: { dim: [{ size: "-1" }, { size: "3" }] } } },
        },
        {
          name: "w",
          op: "Const",
          attr: {
            dtype: f("DT_FLOAT"),
            value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "3" }, { size: "2" }] } } },
          },
        },
        {
          name: "MatMul",
          op: "MatMul",
          input: ["x", "w"],
          attr: { T: f("DT_FLOAT"), transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: "y", op: "Identity", input: ["MatMul"], attr: { T: f("DT_FLOAT") } },
      ],
      library: {},
      versions: { producer: 1 },
    },
    signature: {
      inputs: { "x:0": { name: "x:0", dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "-1" }, { size: "3" }] } } },
      outputs: { "y:0": { name: "y:0", dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "-1" }, { size: "2" }] } } },
    },
    weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "w", shape: [3, 2], dtype: "float32" }] }],
  };
  await writeFile(path.join(dir, "model.json"), JSON.stringify(json));
  await writeFile(path.join(dir, "w.bin"), Buffer.from(new Float32Array([1, 0, 0, 1, 1, 1]).buffer));
  return path.join(dir, "model.json");
}

const testBackend = (): BackendInfo => ({
  name: tf.getBackend() as BackendInfo["name"],
  tfjsBackend: tf.getBackend(),
  tfjsVersion: tf.version.tfjs,
  libVersion: undefined,
});

export interface ServerFixture {
  maxBatchSize?: number;
  maxLatencyMs?: number;
  maxRequestRows?: number;
  maxPendingRequests?: number;
  bodyLimitBytes?: number;
  auth?: import("./auth.js").Authenticator;
  name?: string;
  monitoring?: import("./model-host.js").ModelHostOptions["monitoring"];
  /** loadModel's plainJsRows (undefined: measured). */
  plainJsRows?: number;
}

/** The fixture's metrics, limits and ModelHost (no model yet); `extra` adds what one kind of server needs. */
function fixtureHost(fx: ServerFixture, extra: Partial<ModelHostOptions>) {
  const metrics = new RuntimeMetrics(fx.name ?? "m");
  const limits = { maxRequestRows: fx.maxRequestRows ?? 1024, bodyLimitBytes: fx.bodyLimitBytes ?? 1024 * 1024 };
  const modelHost = new ModelHost({
    name: fx.name ?? "m",
    version: "1",
    metrics,
    maxBatchSize: fx.maxBatchSize ?? 1,
    maxLatencyMs: fx.maxLatencyMs ?? 5,
    ...extra,
  });
  return { metrics, limits, modelHost };
}

/** The fixture's app (not listening) around a ModelHost. */
function fixtureApp(fx: ServerFixture, modelHost: ModelHost, limits: ReturnType<typeof fixtureHost>["limits"]) {
  return buildHttpApp({
    modelHost,
    limits,
    bodyLimitBytes: limits.bodyLimitBytes,
    auth: fx.auth,
    logLevel: "silent",
  });
}

/** A server (not listening; use inject) serving the model at modelJson. */
export async function serverFor(modelJson: string, fx: ServerFixture = {}) {
  const { metrics, limits, modelHost } = fixtureHost(fx, {
    ...(fx.maxPendingRequests !== undefined ? { maxPendingRequests: fx.maxPendingRequests } : {}),
    ...(fx.monitoring ? { monitoring: fx.monitoring } : {}),
  });
  const artifact = await fetchArtifact({ kind: "file", path: modelJson }, undefined);
  modelHost.digest = artifact.digest;
  modelHost.attach(
    await loadModel(artifact, fx.plainJsRows === undefined ? {} : { plainJsRows: fx.plainJsRows }),
    testBackend(),
  );
  const app = await fixtureApp(fx, modelHost, limits);
  return { app, modelHost, metrics };
}

/**
 * A server (not listening; use inject) serving an ONNX file through ModelHost.load, as `serve` does: the file streamed
 * to a private copy and hashed as written, its digest checked when given, onnxruntime's session built from that copy
 * and warmed up.
 */
export async function onnxServerFor(file: string, fx: ServerFixture & { digest?: string; threads?: number } = {}) {
  const { metrics, limits, modelHost } = fixtureHost(fx, { format: "onnx", onnxThreads: fx.threads ?? 1 });
  const report = await modelHost.load({ kind: "file", path: file }, fx.digest, "cpu");
  const app = await fixtureApp(fx, modelHost, limits);
  return { app, modelHost, metrics, report, limits };
}
