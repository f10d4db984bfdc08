/**
 * `auto`'s backend choice, remembered in the node's model cache (--model-cache) so the next start of the same model
 * on the same node skips the probe. The probe loads every backend and times the model on each; loading
 * libtensorflow alone is 0.4–0.9 s of it and timing on it 0.3 s more for a 10 MB MLP (issue #31), paid again by every
 * restart and every scale-from-zero pod although the answer cannot have changed. The key holds everything the answer
 * depends on: the model's digest, the rows probed, the TF.js and runtime versions, the backend packages installed,
 * the CPU (model and count) and the architecture; anything else changed is a new key, so a new probe. The chosen
 * backend is still initialised, the model loaded and warmed up on it before Ready: only the measuring is skipped.
 * A missing, unreadable or damaged record is a miss; a write that fails leaves the start as it was.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { BackendName, ProbeResult } from "../../backends.js";
import { RUNTIME_VERSION } from "../../version.js";

/** Folder below the model cache; not a digest, so the cache's eviction leaves it alone. */
const FOLDER = "backend-probes";
const BACKEND_PACKAGES = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-backend-wasm"];
const NAMES: readonly string[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];

/** What is stored: the probe's answer and its figures (logged again on a hit, marked as remembered). */
export interface RememberedProbe {
  chosen: BackendName;
  timings: ProbeResult["timings"];
  skipped: ProbeResult["skipped"];
}

function installed(pkg: string): string {
  try {
    return createRequire(import.meta.url)(`${pkg}/package.json`).version as string;
  } catch {
    return "-";
  }
}

/** The key of one probe: every input its answer depends on, hashed. */
export function probeKey(digest: string, rows: number, tfjsVersion: string): string {
  const cpus = os.cpus();
  const parts = [
    digest,
    rows,
    tfjsVersion,
    RUNTIME_VERSION,
    ...BACKEND_PACKAGES.map((p) => `${p}@${installed(p)}`),
    cpus[0]?.model ?? "?",
    os.availableParallelism(),
    process.arch,
    process.versions.node,
  ];
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

function fileOf(cacheDir: string, key: string): string {
  return path.join(cacheDir, FOLDER, `${key}.json`);
}

/** The remembered answer for `key`, or undefined (none, unreadable, or not one of ours). */
export async function recallProbe(cacheDir: string, key: string): Promise<RememberedProbe | undefined> {
  try {
    const r = JSON.parse(await readFile(fileOf(cacheDir, key), "utf8")) as RememberedProbe;
    if (!NAMES.includes(r.chosen) || typeof r.timings !== "object" || typeof r.skipped !== "object") return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** Stores the answer (written aside and renamed: a pod starting beside this one never reads half a file). */
export async function rememberProbe(cacheDir: string, key: string, probe: ProbeResult): Promise<void> {
  const chosen = probe.chosen.name;
  if (!NAMES.includes(chosen)) return;
  const record: RememberedProbe = { chosen: chosen as BackendName, timings: probe.timings, skipped: probe.skipped };
  const file = fileOf(cacheDir, key);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, file);
  } catch {
    // A read-only or full cache: the next start probes again.
  }
}
