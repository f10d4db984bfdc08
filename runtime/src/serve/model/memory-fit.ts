/**
 * Whether a model of a given size can load within the container's memory limit. Checked on the size declared before
 * the first byte is streamed (Content-Length, the file's stat) and again on the bytes actually written, so a pod
 * that cannot hold its model says so at once with a reason (ModelTooLarge) instead of being OOM-killed mid-load.
 */
import { MODEL_TOO_LARGE } from "../../contract/model-reasons.js";
import { ConfigError } from "../../errors.js";

/**
 * Resident memory per byte of model file while loading: onnxruntime holds the parsed graph beside the initializers it
 * builds from it until the session is ready (peak ≈ 1.5× the file; the target for peak RSS). TF.js keeps the
 * weights as one buffer and the tensors built from them (≈ 2×).
 */
export const MEMORY_FACTOR: Readonly<Record<"onnx" | "tfjs", number>> = { onnx: 1.5, tfjs: 2 };

/** What Node, the server and the native libraries take before any model (measured idle RSS ≈ 180 MiB, rounded up). */
export const BASE_BYTES = 256 * 1024 * 1024;

const MiB = 1024 * 1024;

/** Bytes a model of `modelBytes` needs to load in `format`. */
export function memoryNeeded(modelBytes: number, format: keyof typeof MEMORY_FACTOR): number {
  return Math.ceil(modelBytes * MEMORY_FACTOR[format]) + BASE_BYTES;
}

/**
 * Throws a ConfigError that starts with the reason when the model cannot fit `limitBytes` (the container's memory
 * limit, LIFTOFF_MEMORY_LIMIT); no limit (undefined, 0) never refuses.
 */
export function checkModelFits(modelBytes: number, format: keyof typeof MEMORY_FACTOR, limitBytes?: number): void {
  if (limitBytes === undefined || !(limitBytes > 0)) return;
  const need = memoryNeeded(modelBytes, format);
  if (need <= limitBytes) return;
  throw new ConfigError(
    `${MODEL_TOO_LARGE}: the model is ${(modelBytes / MiB).toFixed(1)} MiB and needs about ${Math.ceil(need / MiB)} MiB ` +
      `to load (${MEMORY_FACTOR[format]}× the file + ${BASE_BYTES / MiB} MiB), more than the container's memory limit of ` +
      `${Math.floor(limitBytes / MiB)} MiB; raise spec.resources.memory to at least ${Math.ceil(need / MiB)}Mi`,
  );
}
