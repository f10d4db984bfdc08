/**
 * TensorFlow.js backend selection. Native packages are imported lazily so an
 * image without them still starts on wasm/cpu, and so `auto` can fall back.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendChoice } from "./config.js";
import { ConfigError } from "./errors.js";

export type BackendName = Exclude<BackendChoice, "auto">;

/** Fastest first: `auto` takes the first that initialises. */
export const AUTO_ORDER: readonly BackendName[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** Liftoff's name (what --backend takes). */
  name: BackendName;
  /** tfjs-core's registered backend name. */
  tfjsBackend: string;
  tfjsVersion: string;
  /** libtensorflow version for the native backends. */
  libVersion: string | undefined;
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
    mod = (await import(pkg)) as typeof mod;
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

async function activate(name: BackendName): Promise<BackendInfo> {
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
      await import("@tensorflow/tfjs-backend-wasm");
      break;
    case "cpu":
      break;
  }
  const ok = await tf.setBackend(tfjsBackend);
  if (!ok) throw new ConfigError(`backend ${name} failed to initialise`);
  await tf.ready();
  return { name, tfjsBackend, tfjsVersion: tf.version.tfjs, libVersion };
}

/** Initialises the chosen backend (or the fastest available for `auto`). */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice !== "auto") return activate(choice);
  const failures: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      return await activate(name);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw new ConfigError(`no backend could be initialised: ${failures.join("; ")}`);
}
