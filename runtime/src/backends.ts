/**
 * TensorFlow.js backend selection. Native packages are imported lazily so an
 * image without them still starts on wasm/cpu, and so `auto` can fall back.
 */
import type { BackendChoice } from "./config.js";
import { ConfigError } from "./errors.js";
import { loadWasmBackend, requirePackage, tf } from "./tfjs.js";

export type BackendName = Exclude<BackendChoice, "auto">;

/** The backends `auto` tries, in this order. */
const AUTO_ORDER: readonly BackendName[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** Liftoff's name (what --backend takes); `onnxruntime` for an ONNX model, which TF.js does not run. */
  name: BackendName | "onnxruntime" | "llama.cpp";
  /** tfjs-core's registered backend name. */
  tfjsBackend: string;
  tfjsVersion: string;
  /** libtensorflow version for the native backends. */
  libVersion: string | undefined;
  /** onnxruntime's version, for an ONNX model (name `onnxruntime`). */
  onnxruntimeVersion?: string;
}

// Variable specifiers keep TypeScript from requiring type declarations for
// optional packages and stop bundlers from resolving them eagerly.
const NODE_PKG = "@tensorflow/tfjs-node";
const NODE_GPU_PKG = "@tensorflow/tfjs-node-gpu";

async function importNative(pkg: string, name: BackendName): Promise<string | undefined> {
  // libtensorflow logs every op placement at INFO; keep warnings and errors.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  let mod: { version?: Record<string, string>; backend?: () => unknown };
  try {
    mod = requirePackage<typeof mod>(pkg);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      if ((err as Error).message.includes(`'${pkg}'`)) {
        throw new ConfigError(`backend ${name} needs ${pkg}, which is not installed`);
      }
    }
    throw new ConfigError(
      `backend ${name} is unavailable: ${pkg} cannot load libtensorflow (run hack/install-libtensorflow.sh${name === "tensorflow-gpu" ? " --gpu" : ""})`,
    );
  }
  const binding = (mod.backend?.() as { binding?: { TF_Version?: string } } | undefined)?.binding;
  return binding?.TF_Version;
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in
 * Node.js…" on its first tensor: advice for programs that never chose a backend.
 * Liftoff chooses deliberately (cpu and wasm included, and tfjs creates a few
 * tensors on cpu whatever the backend), so mark the banner as already shown.
 */
export function quietCpuBanner(): void {
  tf.backend(); // settles the default backend first: choosing it re-creates the cpu backend
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
}

/** Makes `name` the process's TensorFlow.js backend. */
export async function activate(name: BackendName): Promise<BackendInfo> {
  quietCpuBanner();
  let libVersion: string | undefined;
  let tfjsBackend: string = name;
  switch (name) {
    case "tensorflow":
      libVersion = await importNative(NODE_PKG, name);
      tfjsBackend = "tensorflow";
      break;
    case "tensorflow-gpu":
      libVersion = await importNative(NODE_GPU_PKG, name);
      tfjsBackend = "tensorflow";
      break;
    case "wasm":
      loadWasmBackend();
      break;
    case "cpu":
      break;
  }
  const ok = await tf.setBackend(tfjsBackend);
  if (!ok) throw new ConfigError(`backend ${name} failed to initialise`);
  await tf.ready();
  return { name, tfjsBackend, tfjsVersion: tf.version.tfjs, libVersion };
}

/** Initialises a named backend; `auto` is decided per model by probeBackends. */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice !== "auto") return activate(choice);
  for (const name of AUTO_ORDER) {
    try {
      return await activate(name);
    } catch {
      // next
    }
  }
  throw new ConfigError("no backend could be initialised");
}

export interface ProbeResult {
  chosen: BackendInfo;
  /** Median microseconds of one model call per backend that initialised. */
  timings: Partial<Record<BackendName, number>>;
  /** Why the others were skipped. */
  skipped: Partial<Record<BackendName, string>>;
  /** The choice came from the node's model cache (serve/model/probe-cache.ts): these figures are that probe's. */
  remembered?: boolean;
}

/**
 * `auto`: times the model on every backend that initialises and keeps the
 * fastest. Which wins depends on the model: libtensorflow's per-op cost
 * (~50 µs) dominates small models, where wasm is several times faster, while
 * large matrix work favours libtensorflow. Leaves the winner active.
 */
export async function probeBackends(measure: (b: BackendInfo) => Promise<number>): Promise<ProbeResult> {
  const timings: ProbeResult["timings"] = {};
  const skipped: ProbeResult["skipped"] = {};
  const infos = new Map<BackendName, BackendInfo>();
  for (const name of AUTO_ORDER) {
    // tfjs's cpu backend is plain JavaScript: slower than wasm on every model measured (the 16→64→64→4 MLP 69 against
    // 40 µs at one row, 651 against 54 µs at 32; the 10 MB MLP 26 against 1.2 ms), and timing it cost a start up to
    // 0.3 s on the 10 MB MLP, more on larger models. It is measured only where wasm cannot run the model.
    if (name === "cpu" && infos.has("wasm")) {
      skipped.cpu = "not measured: wasm runs the model, and cpu is slower than wasm";
      continue;
    }
    try {
      const info = await activate(name);
      timings[name] = await measure(info);
      infos.set(name, info);
    } catch (err) {
      skipped[name] = (err as Error).message;
    }
  }
  const ranked = [...infos.keys()].sort((a, b) => (timings[a] ?? 0) - (timings[b] ?? 0));
  const best = ranked[0];
  if (best === undefined) throw new ConfigError(`no backend could run the model: ${Object.values(skipped).join("; ")}`);
  return { chosen: await activate(best), timings, skipped };
}
