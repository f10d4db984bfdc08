// `train`: a TrainingJob spec + a DataSet output folder → a published model artifact. Runs the same locally
// (`npm run runtime -- train --spec job.yaml --data <dataset version dir> --out <dir>`) and in the operator's Job.
// Exit codes tell the operator what happened when no report got through: 0 done, 2 bad spec or data (retrying
// cannot help), 3 NaN loss (neither), 1 anything else (retried up to backoffLimit). The reason and message also
// go to the termination log, which the operator copies into the TrainingJob's conditions.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { fetchArtifact, inContainerRoot, resolveModelUri } from "../artifact.js";
import { initBackend } from "../backends.js";
import { BACKENDS, type BackendChoice } from "../config.js";
import { ARTIFACT_FORMAT_VERSION, type PreprocessingJson } from "../contract/artifacts.js";
import { pointOf } from "../contract/history.js";
import { POD_ENV } from "../contract/pod-env.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { ConfigError } from "../errors.js";
import { EgressError, egressPolicy } from "../net/egress.js";
import { reporterFromEnv } from "../report/reporter.js";
import { isS3Uri } from "../s3-uri.js";
import { StorageError } from "../storage/errors.js";
import type { VaultReader } from "../storage/s3-client.js";
import { VaultError, type VaultKvClient, vaultClientFromEnv } from "../vault/index.js";
import { RUNTIME_NAME } from "../version.js";
import { openSplit } from "./data.js";
import { planPrivacy } from "./dp-plan.js";
import type { DpRandomState } from "./dp-random.js";
import { InputFailure, type KeyUnwrapper, openDataSetInput, RETRYABLE_VAULT } from "./input.js";
import { buildStack, fineTune, headFor } from "./layers.js";
import { makeLoss, makeOptimizer } from "./objective.js";
import { type LineageJson, publishArtifact, serializeModel } from "./publish.js";
import { pytorchManifest, runPyTorch } from "./pytorch/run.js";
import { progressReporter } from "./report.js";
import { installAsMathRandom, Sfc32 } from "./rng.js";
import { maybeS3, restoreFromBucket, stageDataVersion, uploadCheckpoint, uploadModel } from "./s3-staging.js";
import { readTrainSpec, type TrainSpec, trainSpecOf } from "./spec.js";
import { evaluate, type Progress, privacySpent, TrainingFailure, train } from "./trainer.js";

export interface TrainOutcome {
  model: { uri: string; digest: string; dir: string };
  dataSetDigest: string;
  finalMetrics: Record<string, number>;
  epochs: number;
  resumedFrom?: string;
}

export interface TrainIO {
  log: (message: string) => void;
  progress: (p: Progress, final: boolean) => void;
  /** Monotonic milliseconds (tests drive checkpoint timing with it). */
  now?: () => number;
  /** Vault for an encrypted DataSet (default: the client the LIFTOFF_VAULT_* variables describe). */
  vault?: () => Promise<KeyUnwrapper>;
  /** DP-SGD's secret stream for a fresh run (tests: a fixed key); random otherwise (dp-random.ts). */
  dpRandom?: DpRandomState;
}

interface TrainArgs {
  spec: TrainSpec;
  job: { namespace?: string; uid?: string; generation?: number };
  data: string;
  dataDigest?: string;
  plainDir?: string;
  out: string;
  checkpointDir: string;
  checkpointSeconds: number;
  keep: number;
  backend: BackendChoice;
  cacheBytes: number;
}

function intFlag(v: string | undefined, name: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${name} must be an integer ≥ ${min} (got '${v}')`);
  return n;
}

export async function parseTrainArgs(argv: string[], env: NodeJS.ProcessEnv): Promise<TrainArgs> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: Object.fromEntries(
        [
          "spec",
          "data",
          "data-digest",
          "plain-dir",
          "out",
          "checkpoint-dir",
          "checkpoint-seconds",
          "keep-checkpoints",
          "backend",
          "cache-mib",
        ].map((k) => [k, { type: "string" as const }]),
      ),
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  let spec: TrainSpec;
  let job: TrainArgs["job"] = {};
  if (values.spec) spec = await readTrainSpec(values.spec);
  else if (env.LIFTOFF_TRAIN_SPEC) {
    let doc: { metadata?: { namespace?: string; uid?: string; generation?: number } };
    try {
      doc = JSON.parse(env.LIFTOFF_TRAIN_SPEC);
    } catch {
      throw new ConfigError("LIFTOFF_TRAIN_SPEC is not valid JSON");
    }
    spec = trainSpecOf(doc);
    const m = doc.metadata ?? {};
    job = {
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.generation ? { generation: m.generation } : {}),
    };
  } else throw new ConfigError("--spec <TrainingJob manifest> is required");
  if (!values.data) throw new ConfigError("--data <DataSet output dir> is required");
  if (!values.out) throw new ConfigError("--out <dir> is required");
  if (values["data-digest"] !== undefined && !/^sha256:[0-9a-f]{64}$/.test(values["data-digest"])) {
    throw new ConfigError("--data-digest must look like sha256:<64 hex digits>");
  }
  const backend = (values.backend ?? "tensorflow") as BackendChoice;
  if (!BACKENDS.includes(backend)) {
    throw new ConfigError(`--backend must be one of ${BACKENDS.join(", ")} (got '${backend}')`);
  }
  const prefix = env.LIFTOFF_PATH_PREFIX;
  const inRoot = (p: string) => (prefix && path.isAbsolute(p) ? path.join(prefix, p) : path.resolve(p));
  // An s3:// location stays a URI: runTrain stages it on local scratch (s3-staging.ts).
  const at = (p: string) => (isS3Uri(p) ? p.replace(/\/+$/, "") : inRoot(p));
  const out = at(values.out);
  return {
    spec,
    job,
    data: at(values.data),
    ...(values["data-digest"] ? { dataDigest: values["data-digest"] } : {}),
    ...(values["plain-dir"] ? { plainDir: inRoot(values["plain-dir"]) } : {}),
    out,
    checkpointDir: values["checkpoint-dir"]
      ? at(values["checkpoint-dir"])
      : isS3Uri(out)
        ? `${out}/.checkpoints/${spec.name}`
        : path.join(out, ".checkpoints", spec.name),
    checkpointSeconds: intFlag(values["checkpoint-seconds"], "checkpoint-seconds", 300, 1),
    keep: intFlag(values["keep-checkpoints"], "keep-checkpoints", 3, 1),
    backend,
    cacheBytes: intFlag(values["cache-mib"], "cache-mib", 512, 0) * 1024 * 1024,
  };
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ConfigError(`the DataSet output has no ${what} (${path.basename(file)})`);
  }
  const doc = JSON.parse(text) as T & { formatVersion?: number };
  if (doc.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new ConfigError(
      `${what} has formatVersion ${String(doc.formatVersion)}; this runtime reads ${ARTIFACT_FORMAT_VERSION}`,
    );
  }
  return doc;
}

/** The base model's artifact, checked against its digest when the spec gives one (required for http(s) ones). */
async function baseModel(uri: string, digest: string | undefined, env: NodeJS.ProcessEnv): Promise<tf.LayersModel> {
  const loc = inContainerRoot(resolveModelUri(uri, env.LIFTOFF_PVC_ROOT ?? "/mnt/pvc"), env.LIFTOFF_PATH_PREFIX);
  const artifact = await fetchArtifact(loc, digest?.replace(/^sha256:/, ""), { egress: egressPolicy(env) });
  const weightSpecs = (artifact.modelJson.weightsManifest ?? []).flatMap(
    (g) => g.weights,
  ) as tf.io.WeightsManifestEntry[];
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifact.modelJson.modelTopology as object,
      weightSpecs,
      weightData: tf.io.concatenateArrayBuffers(artifact.weightFiles.map((b) => b.slice().buffer as ArrayBuffer)),
    }),
  );
}

/** The Vault client of the pod's env; without LIFTOFF_VAULT_ADDR retrying cannot help, so it fails at once. */
function vaultFromEnv(env: NodeJS.ProcessEnv): () => Promise<KeyUnwrapper> {
  return () => {
    if (!env.LIFTOFF_VAULT_ADDR) {
      throw new InputFailure(
        "VaultUnreachable",
        "the DataSet is encrypted but LIFTOFF_VAULT_ADDR is not set: the operator needs --vault-addr (locally, set LIFTOFF_VAULT_ADDR, _ROLE and _TOKEN_FILE)",
      );
    }
    return vaultClientFromEnv(env);
  };
}

/** The Vault client for S3 keys, when the env says they are in Vault (LIFTOFF_S3_VAULT_*): logged in once, lazily. */
function s3Vault(env: NodeJS.ProcessEnv) {
  let client: Promise<VaultKvClient> | undefined;
  return {
    get: async (): Promise<VaultReader | undefined> => {
      if (!env[POD_ENV.s3VaultKvPath.name] && !env[POD_ENV.s3VaultAwsPath.name]) return undefined;
      // Without a Vault address the storage layer says which variable wants one.
      if (!env.LIFTOFF_VAULT_ADDR) return undefined;
      client ??= vaultClientFromEnv(env).catch((err: unknown) => {
        if (!(err instanceof VaultError)) throw err;
        throw new InputFailure(
          err.reason,
          `cannot log in to Vault for the S3 keys: ${err.message}`,
          RETRYABLE_VAULT.has(err.reason),
        );
      });
      return client;
    },
    close: async () => (await client?.catch(() => undefined))?.close(),
  };
}

export async function runTrain(args: TrainArgs, env: NodeJS.ProcessEnv, io: TrainIO): Promise<TrainOutcome> {
  const vault = s3Vault(env);
  try {
    // The pod's scratch emptyDir (below LIFTOFF_PATH_PREFIX on the local node agent, like every container path).
    const scratch = env.LIFTOFF_SCRATCH
      ? path.join(env.LIFTOFF_PATH_PREFIX ?? "/", env.LIFTOFF_SCRATCH)
      : path.join(tmpdir(), `liftoff-train-${process.pid}`);
    const dataAt = await maybeS3(args.data, env, vault.get);
    const outAt = await maybeS3(args.out, env, vault.get);
    const checkpointsAt = await maybeS3(args.checkpointDir, env, vault.get);
    const local: TrainArgs = {
      ...args,
      data: dataAt ? await stageDataVersion(dataAt, scratch) : args.data,
      out: outAt ? path.join(scratch, "out") : args.out,
      checkpointDir: checkpointsAt ? path.join(scratch, "checkpoints") : args.checkpointDir,
    };
    if (dataAt) io.log(`downloaded the DataSet version ${args.data}`);
    if (checkpointsAt) {
      const got = await restoreFromBucket(checkpointsAt, local.checkpointDir);
      if (got) io.log(`downloaded checkpoint ${got} from ${args.checkpointDir}`);
    }
    const input = await openDataSetInput({
      data: local.data,
      ...(args.dataDigest !== undefined ? { dataDigest: args.dataDigest } : {}),
      ...(args.plainDir !== undefined ? { plainDir: args.plainDir } : {}),
      vault: io.vault ?? vaultFromEnv(env),
      // The TrainingJob's DataSet is in its own namespace: that is where the version's key store is.
      owner:
        args.job.namespace && args.spec.dataSet
          ? { namespace: args.job.namespace, dataset: args.spec.dataSet }
          : undefined,
      log: io.log,
    });
    let outcome: TrainOutcome;
    try {
      const upload = checkpointsAt
        ? (name: string) => uploadCheckpoint(checkpointsAt, local.checkpointDir, name, args.keep)
        : undefined;
      outcome = await trainOn(input.dir, input.digest, local, env, io, upload);
    } finally {
      await input.dispose();
    }
    if (outAt) {
      const uri = await uploadModel(outAt, outcome.model.dir);
      io.log(`uploaded the model to ${uri}`);
      outcome = { ...outcome, model: { ...outcome.model, uri } };
    }
    return outcome;
  } finally {
    await vault.close();
  }
}

async function trainOn(
  data: string,
  dataSetDigest: string,
  args: TrainArgs,
  env: NodeJS.ProcessEnv,
  io: TrainIO,
  onCheckpoint?: (name: string) => Promise<void>,
): Promise<TrainOutcome> {
  const { spec } = args;
  const pre = await readJson<PreprocessingJson>(path.join(data, "preprocessing.json"), "preprocessing.json");
  if (pre.target.task !== spec.task) {
    throw new ConfigError(
      `spec.task is ${spec.task} but the DataSet's target ${pre.target.column} is ${pre.target.task}`,
    );
  }
  const info = await initBackend(args.backend);
  io.log(`backend ${info.name} (tfjs ${info.tfjsVersion}${info.libVersion ? `, TensorFlow ${info.libVersion}` : ""})`);
  // Reproducibility: every random draw of TensorFlow.js comes from this generator from here on (see rng.ts).
  const rng = new Sfc32(spec.seed);
  installAsMathRandom(rng);
  const opts = { seed: spec.seed, cacheBytes: args.cacheBytes, shuffleBuffer: 65536 };
  const [trainSplit, validation, test] = await Promise.all([
    openSplit(data, "train", pre, opts),
    openSplit(data, "validation", pre, opts),
    openSplit(data, "test", pre, opts),
  ]);
  const width = pre.featureNames.length;
  const head = headFor(spec.task, pre.target.classes);
  const model =
    "layers" in spec.model
      ? buildStack(spec.model.layers, width, head)
      : fineTune(
          await baseModel(spec.model.baseModel.uri, spec.model.baseModel.digest, env),
          width,
          head,
          spec.model.baseModel.trainableLayers,
        );
  const optimizer = makeOptimizer(spec.optimizer, spec.learningRate);
  const loss = makeLoss(spec.loss, head.units);
  io.log(`training ${model.countParams()} parameters on ${trainSplit.rows} rows × ${width} features`);
  const privacy = spec.privacy ? planPrivacy(spec.privacy, trainSplit.rows, spec.batchSize, spec.epochs) : undefined;
  const result = await train({
    spec,
    head,
    model,
    optimizer,
    loss,
    train: trainSplit,
    validation,
    rng,
    checkpointDir: args.checkpointDir,
    checkpointSeconds: args.checkpointSeconds,
    keepCheckpoints: args.keep,
    ...(onCheckpoint ? { onCheckpoint } : {}),
    onProgress: io.progress,
    log: io.log,
    gpu: info.name === "tensorflow-gpu",
    ...(io.now ? { now: io.now } : {}),
    ...(privacy ? { privacy } : {}),
    ...(io.dpRandom ? { dpRandom: io.dpRandom } : {}),
  });
  const finalMetrics = await evaluate(model, head, loss, test, spec);
  io.log(
    `test ${Object.entries(finalMetrics)
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join(" ")}`,
  );
  const { name: _n, dataSet: _d, task, model: modelSpec, ...hyperparameters } = spec;
  const lineage: LineageJson = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    trainingJob: { name: spec.name, ...args.job },
    dataSet: { name: spec.dataSet, digest: dataSetDigest },
    task,
    ...(pre.target.classes ? { classes: pre.target.classes } : {}),
    hyperparameters,
    model: modelSpec,
    finalMetrics,
    epochs: result.state.epoch,
    history: result.state.history.map((log, i) => pointOf(i + 1, log)),
    ...(privacy
      ? {
          privacy: {
            ...privacySpent(privacy, result.state.epoch * privacy.stepsPerEpoch + result.state.batch),
            accountant: "rdp" as const,
            l2NormClip: privacy.l2NormClip,
            sampling: privacy.sampling,
            sampleRate: privacy.sampleRate,
          },
        }
      : {}),
    tfjsVersion: tf.version.tfjs,
    backend: info.name,
    createdAt: new Date().toISOString(),
  };
  const published = await publishArtifact(args.out, data, await serializeModel(model, head), lineage);
  return {
    model: { uri: published.dir, digest: published.digest, dir: published.dir },
    dataSetDigest,
    finalMetrics,
    epochs: result.state.epoch,
    ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}),
  };
}

/** Where the kubelet (or the local node agent) reads the termination message from. */
async function writeTerminationMessage(env: NodeJS.ProcessEnv, message: string): Promise<void> {
  const file = path.join(env.LIFTOFF_PATH_PREFIX ?? "/", env.LIFTOFF_TERMINATION_LOG ?? "/dev/termination-log");
  await mkdir(path.dirname(file), { recursive: true }).catch(() => undefined);
  await writeFile(file, message.slice(0, 4000)).catch(() => undefined);
}

/** Exit codes (see the file comment). */
const EXIT = { ok: 0, failed: 1, badInput: 2, nanLoss: 3 } as const;

/** The `train` command as main.ts runs it: human log lines on stderr, one JSON result line on stdout. */

/** How often progress is reported: the operator's --progress-interval (ms), else the reporter's 5 s. */
function progressIntervalMs(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env[POD_ENV.progressInterval.name]);
  return Number.isInteger(ms) && ms >= 100 ? ms : undefined;
}
export async function trainMain(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const log = (m: string) => process.stderr.write(`train: ${m}\n`);
  const fail = async (reason: string, message: string, code: number) => {
    process.stderr.write(`${RUNTIME_NAME}: error: ${message}\n`);
    await writeTerminationMessage(env, JSON.stringify({ reason, message }));
    return code;
  };
  try {
    const pytorch = await pytorchManifest(argv, env);
    if (pytorch !== undefined) {
      const progress = progressReporter(reporterFromEnv(env), log, progressIntervalMs(env));
      const s3 = s3Vault(env);
      const done = await runPyTorch(pytorch, argv, env, {
        log,
        progress: progress.offer,
        vault: vaultFromEnv(env),
        s3Vault: s3.get,
      }).finally(() => s3.close());
      await progress.drain();
      // Only worker 0 has the model to tell; the others' part ended well, and their silence says so.
      if (done.outcome === undefined) return EXIT.ok;
      process.stdout.write(`${JSON.stringify(done.outcome)}\n`);
      await writeTerminationMessage(env, JSON.stringify({ reason: "Succeeded", ...done.outcome }));
      return EXIT.ok;
    }
    const args = await parseTrainArgs(argv, env);
    const reporter = reporterFromEnv(env);
    const progress = progressReporter(reporter, log, progressIntervalMs(env));
    const outcome = await runTrain(args, env, { log, progress: progress.offer });
    await progress.drain();
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    await writeTerminationMessage(env, JSON.stringify({ reason: "Succeeded", ...outcome }));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof TrainingFailure) {
      return fail(err.reason, err.message, err.reason === "NaNLoss" ? EXIT.nanLoss : EXIT.badInput);
    }
    if (err instanceof InputFailure) return fail(err.reason, err.message, err.retryable ? EXIT.failed : EXIT.badInput);
    if (err instanceof ConfigError) return fail("InvalidSpec", err.message, EXIT.badInput);
    if (err instanceof StorageError) {
      // Transient (no answer, a transfer cut): the Job retries; a missing object, denied keys or bad bytes: not.
      const retry =
        err.reason === StorageReason.StorageUnreachable || err.reason === StorageReason.StorageTransferFailed;
      return fail(err.reason, err.message, retry ? EXIT.failed : EXIT.badInput);
    }
    if (err instanceof EgressError) return fail(err.reason, err.message, EXIT.badInput);
    return fail("TrainingError", (err as Error).message, EXIT.failed);
  }
}
