// `train` for a pytorch TrainingJob, in each worker pod: the DataSet version staged as for any run (downloaded,
// checked against its pinned digest, decrypted with the pod's own Vault identity into memory), the team's script
// run by torchrun as node `index` of the group, its events turned into the TrainingJob's progress, and — on worker 0,
// once torchrun ends well — the exported ONNX loaded by the serving runtime's own loader before the artifact is
// published. Nothing here trains: the script and torch.distributed do.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { ARTIFACT_FORMAT_VERSION, type PreprocessingJson } from "../../contract/artifacts.js";
import { pointOf } from "../../contract/history.js";
import { POD_ENV } from "../../contract/pod-env.js";
import { ConfigError } from "../../errors.js";
import { isS3Uri } from "../../s3-uri.js";
import type { VaultReader } from "../../storage/s3-client.js";
import { InputFailure, type KeyUnwrapper, openDataSetInput } from "../input.js";
import { publishFolder } from "../publish.js";
import { maybeS3, stageDataVersion, uploadModel } from "../s3-staging.js";
import type { Progress } from "../trainer.js";
import { TrainingFailure } from "../trainer.js";
import { eventsTail, type ScriptEvent } from "./events.js";
import { classifyFailure } from "./failure.js";
import { addEpoch, emptyProgress, type ProgressState, progressOf } from "./progress.js";
import { restoreCheckpointFile, uploadCheckpointFile } from "./s3-checkpoints.js";
import { isPyTorch, type PyTorchRun, pytorchRunOf } from "./spec.js";
import { podInterface, scriptEnv, torchrunArgv, type WorkerPlace } from "./torchrun.js";

/** Where the history of the reported epochs is kept, beside the checkpoints (a restarted group reads it back). */
const HISTORY_FILE = "liftoff-history.json";
const POLL_MS = 500;
const LOG_LINES = 400;

export interface PyTorchIO {
  log: (message: string) => void;
  progress: (p: Progress, final: boolean) => void;
  vault: () => Promise<KeyUnwrapper>;
  /** The Vault client for S3 keys, when the pod's env says they are in Vault. */
  s3Vault: () => Promise<VaultReader | undefined>;
}

/** What a worker ends with: worker 0 publishes the model, the others only finish their part. */
export type PyTorchOutcome = { worker: 0; outcome: Record<string, unknown> } | { worker: number; outcome?: undefined };

/** The TrainingJob manifest when it is a pytorch run (LIFTOFF_TRAIN_SPEC or --spec), else undefined. */
export async function pytorchManifest(argv: string[], env: NodeJS.ProcessEnv): Promise<unknown> {
  const at = argv.indexOf("--spec");
  let doc: unknown;
  if (at >= 0 && argv[at + 1]) {
    const text = await readFile(argv[at + 1] as string, "utf8").catch(() => undefined);
    if (text === undefined) return undefined; // the TF.js path says what is wrong with the file
    try {
      doc = parseYaml(text);
    } catch {
      return undefined;
    }
  } else if (env[POD_ENV.trainSpec.name]) {
    try {
      doc = JSON.parse(env[POD_ENV.trainSpec.name] as string);
    } catch {
      return undefined;
    }
  }
  return isPyTorch(doc) ? doc : undefined;
}

interface Flags {
  data: string;
  dataDigest?: string;
  plainDir?: string;
  out: string;
  checkpointDir?: string;
  script?: string;
}

function flagsOf(argv: string[]): Flags {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: Object.fromEntries(
        ["spec", "data", "data-digest", "plain-dir", "out", "checkpoint-dir", "script", "backend"].map((k) => [
          k,
          { type: "string" as const },
        ]),
      ),
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (!values.data) throw new ConfigError("--data <DataSet version folder> is required");
  if (!values.out) throw new ConfigError("--out <dir> is required");
  return {
    data: values.data,
    out: values.out,
    ...(values["data-digest"] ? { dataDigest: values["data-digest"] } : {}),
    ...(values["plain-dir"] ? { plainDir: values["plain-dir"] } : {}),
    ...(values["checkpoint-dir"] ? { checkpointDir: values["checkpoint-dir"] } : {}),
    ...(values.script ? { script: values.script } : {}),
  };
}

function placeOf(run: PyTorchRun, env: NodeJS.ProcessEnv): WorkerPlace {
  const int = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback;
  };
  const index = int(env[POD_ENV.torchWorker.name], 0);
  if (index >= run.workers) throw new ConfigError(`worker ${index} of a group of ${run.workers}`);
  return {
    index,
    workers: run.workers,
    procsPerWorker: run.procsPerWorker,
    masterAddr: env[POD_ENV.torchMasterAddr.name] || "127.0.0.1",
    masterPort: int(env[POD_ENV.torchMasterPort.name], 29500),
  };
}

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function readHistory(file: string): Promise<ProgressState> {
  try {
    const doc = JSON.parse(await readFile(file, "utf8")) as ProgressState;
    if (Array.isArray(doc.history) && Array.isArray(doc.seconds)) return doc;
  } catch {
    // none yet, or torn: the epochs from here on are still reported
  }
  return emptyProgress();
}

/** The progress of the newest epoch in the history (kept beside the checkpoints), or undefined when it has none. */
function lastReported(state: ProgressState, planned: number | undefined): Progress | undefined {
  const epoch = state.history.length;
  if (epoch === 0) return undefined;
  return progressOf(state, { type: "progress", epoch, metrics: state.history[epoch - 1] ?? {} }, planned);
}

/** Runs torchrun, following its log (kept for the failure message) and the events file until it exits. */
async function runTorchrun(
  argv: string[],
  env: NodeJS.ProcessEnv,
  onEvents: () => Promise<void>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }> {
  const [file, ...args] = argv;
  // Not detached: torchrun stays in this process's group, so whatever ends the container ends it too.
  const child: ChildProcess = spawn(file as string, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    to.write(chunk);
    for (const l of chunk.toString("utf8").split("\n")) {
      lines.push(l);
      if (lines.length > LOG_LINES) lines.shift();
    }
  };
  child.stdout?.on("data", (c: Buffer) => keep(c, process.stdout));
  child.stderr?.on("data", (c: Buffer) => keep(c, process.stderr));
  // A pod deletion (the group restarting, a suspension) reaches torchrun, which stops its workers.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onTerm = forward("SIGTERM");
  const onInt = forward("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    onEvents().finally(() => {
      polling = false;
    });
  }, POLL_MS);
  try {
    return await new Promise((resolve, reject) => {
      child.once("error", (err) =>
        reject(
          new ConfigError(
            `cannot start ${file}: ${(err as NodeJS.ErrnoException).code ?? err.message} (the worker image needs Python with torch: the Liftoff PyTorch image)`,
          ),
        ),
      );
      child.once("close", (code, signal) => resolve({ code, signal, lines }));
    });
  } finally {
    clearInterval(timer);
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  }
}

export async function runPyTorch(
  manifest: unknown,
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: PyTorchIO,
): Promise<PyTorchOutcome> {
  const run = pytorchRunOf(manifest);
  const flags = flagsOf(argv);
  const place = placeOf(run, env);
  const prefix = env.LIFTOFF_PATH_PREFIX;
  // Container paths live under the node agent's folder locally (docs/local-cluster.md); as is in a real container.
  const inRoot = (p: string) => (prefix && path.isAbsolute(p) ? path.join(prefix, p) : path.resolve(p));
  // s3:// stays a URI: the data is downloaded to scratch, the model and checkpoints are staged there.
  const at = (p: string) => (isS3Uri(p) ? p.replace(/\/+$/, "") : inRoot(p));
  const scratch = env.LIFTOFF_SCRATCH
    ? inRoot(env.LIFTOFF_SCRATCH)
    : path.join(tmpdir(), `liftoff-pytorch-scratch-${process.pid}`);
  const out = at(flags.out);
  const checkpointUri = flags.checkpointDir ? at(flags.checkpointDir) : `${out}/.checkpoints/${run.uid ?? run.name}`;
  const dataAt = await maybeS3(at(flags.data), env, io.s3Vault);
  const outAt = await maybeS3(out, env, io.s3Vault);
  const checkpointsAt = await maybeS3(checkpointUri, env, io.s3Vault);
  const checkpointDir = checkpointsAt ? path.join(scratch, "checkpoints") : checkpointUri;
  const containerScript = flags.script ?? env[POD_ENV.torchScript.name] ?? run.scriptPath;
  if (!containerScript) throw new ConfigError("no script: set spec.pytorch.script, or --script locally");
  const script = flags.script ? path.resolve(flags.script) : inRoot(containerScript);
  await readFile(script).catch(() => {
    throw new ConfigError(
      `the script ${containerScript} is not there: check spec.pytorch.script (the ConfigMap's key, or the path in the image)`,
    );
  });
  const data = dataAt ? await stageDataVersion(dataAt, scratch) : at(flags.data);
  if (dataAt) io.log(`downloaded the DataSet version ${flags.data}`);
  const input = await openDataSetInput({
    data,
    ...(flags.dataDigest !== undefined ? { dataDigest: flags.dataDigest } : {}),
    ...(flags.plainDir !== undefined ? { plainDir: inRoot(flags.plainDir) } : {}),
    vault: io.vault,
    owner: run.namespace && run.dataSet ? { namespace: run.namespace, dataset: run.dataSet } : undefined,
    log: io.log,
  });
  const work = await mkdtemp(path.join(tmpdir(), "liftoff-pytorch-"));
  try {
    await mkdir(checkpointDir, { recursive: true });
    const historyFile = path.join(checkpointDir, HISTORY_FILE);
    if (checkpointsAt) {
      const got = await restoreCheckpointFile(checkpointsAt, checkpointDir, historyFile);
      if (got) io.log(`downloaded checkpoint ${got} from ${checkpointUri}`);
    }
    const files = {
      dataDir: input.dir,
      checkpointDir,
      exportDir: path.join(work, "export"),
      events: path.join(work, "events.jsonl"),
    };
    await mkdir(files.exportDir);
    let state = place.index === 0 ? await readHistory(historyFile) : emptyProgress();
    let exported: Extract<ScriptEvent, { type: "export" }> | undefined;
    let last: Progress | undefined;
    const tail = eventsTail(files.events);
    const planned = typeof run.hyperparameters.epochs === "number" ? run.hyperparameters.epochs : undefined;
    const drain = async () => {
      for (const ev of await tail.poll()) {
        if (ev.type === "progress") {
          state = addEpoch(state, ev);
          last = progressOf(state, ev, planned);
          io.progress(last, false);
          await writeFile(historyFile, JSON.stringify(state)).catch(() => undefined);
        } else if (ev.type === "checkpoint") {
          io.log(`checkpoint ${ev.name}${ev.epoch ? ` (epoch ${ev.epoch})` : ""}`);
          if (checkpointsAt) await uploadCheckpointFile(checkpointsAt, checkpointDir, ev.name, historyFile);
        } else exported = ev;
      }
    };
    const python = env[POD_ENV.python.name] || "python3";
    const argvTorch = torchrunArgv(python, place, script, run.args);
    io.log(
      `worker ${place.index} of ${place.workers} (attempt ${env[POD_ENV.torchAttempt.name] ?? 0}): ${argvTorch.join(" ")}`,
    );
    const iface = podInterface(env.POD_IP, networkInterfaces());
    const ended = await runTorchrun(argvTorch, scriptEnv(env, files, run.hyperparameters, iface), drain);
    await drain();
    if (ended.code !== 0) {
      const f = classifyFailure(ended.lines, ended.code, ended.signal);
      if (f.kind === "peerLost") throw new InputFailure("WorkerLost", f.message, true);
      throw new TrainingFailure("ScriptFailed", f.message);
    }
    if (place.index !== 0) return { worker: place.index };
    // A group restarted after the last epoch's checkpoint trains no epoch: its progress is the history's last one.
    const final = last ?? lastReported(state, planned);
    if (final) io.progress(final, true);
    const local = outAt ? path.join(scratch, "out") : out;
    const outcome = await publish(run, input, local, files.exportDir, exported, state);
    if (outAt) {
      const model = outcome.model as { uri: string };
      model.uri = await uploadModel(outAt, model.uri);
      io.log(`uploaded the model to ${model.uri}`);
    }
    return { worker: 0, outcome };
  } finally {
    await rm(work, { recursive: true, force: true });
    await input.dispose();
  }
}

/** Loads model.onnx as a ModelDeployment would, then publishes it with its lineage; refuses a model that does not load. */
async function publish(
  run: PyTorchRun,
  input: { dir: string; digest: string },
  out: string,
  exportDir: string,
  exported: Extract<ScriptEvent, { type: "export" }> | undefined,
  state: ProgressState,
): Promise<Record<string, unknown>> {
  if (!exported) {
    throw new TrainingFailure(
      "ExportInvalid",
      "the script ended without exporting a model: call liftoff.export_onnx(model, example) on rank 0 after training",
    );
  }
  const bytes = await readFile(path.join(exportDir, exported.file)).catch(() => undefined);
  if (!bytes) throw new TrainingFailure("ExportInvalid", `the export names ${exported.file}, which is not there`);
  try {
    const { loadOnnx } = await import("../../serve/model/onnx.js");
    const model = await loadOnnx(bytes, { threads: 1 });
    await model.dispose?.();
  } catch (err) {
    throw new TrainingFailure(
      "ExportInvalid",
      `the exported model does not load in the Liftoff runtime (onnxruntime), so it is not published: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  const pre = JSON.parse(await readFile(path.join(input.dir, "preprocessing.json"), "utf8")) as PreprocessingJson;
  const epochs = state.history.length;
  const lineage = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    trainingJob: {
      name: run.name,
      ...(run.namespace ? { namespace: run.namespace } : {}),
      ...(run.uid ? { uid: run.uid } : {}),
    },
    dataSet: { name: run.dataSet, digest: input.digest },
    task: run.task,
    ...(pre.target.classes ? { classes: pre.target.classes } : {}),
    framework: "pytorch",
    format: "onnx",
    pytorch: {
      script: run.configMap ? { configMap: run.configMap } : { path: run.scriptPath },
      args: run.args,
      workers: run.workers,
      procsPerWorker: run.procsPerWorker,
    },
    hyperparameters: run.hyperparameters,
    finalMetrics: exported.metrics,
    epochs,
    history: state.history.map((log, i) => pointOf(i + 1, log)),
    createdAt: new Date().toISOString(),
  };
  const published = await publishFolder(out, input.dir, { "model.onnx": bytes }, lineage);
  return {
    model: { uri: published.dir, digest: published.digest, format: "onnx", fileDigest: `sha256:${sha256Hex(bytes)}` },
    dataSetDigest: input.digest,
    finalMetrics: exported.metrics,
    epochs,
  };
}
