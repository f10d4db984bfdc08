/**
 * The files declared processing reads beside the model (a labels file, a tokenizer): each is named relative to the
 * model's folder and pinned by its own sha256 in the spec — an ONNX digest covers model.onnx alone, and a TF.js one
 * model.json and its weights — so a swapped labels file cannot change the answers unnoticed. Each file is read once,
 * its digest checked on those bytes, and those bytes used.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type FetchOptions, type ModelLocation, notStaged } from "../../artifact.js";
import type { ModelProcessing, SideFile } from "../../contract/processing.js";
import { ConfigError } from "../../errors.js";
import { CLOSED, EgressError } from "../../net/egress.js";
import { egressGet, shownUrl } from "../../net/egress-request.js";
import type { LoadedModel } from "./loaded-model.js";
import { type Processing, withProcessing } from "./with-processing.js";

/** Labels and tokenizers are small; anything larger is not what the spec says it is. */
const SIDE_FILE_MAX_BYTES = 64 * 1024 * 1024;

function checkName(file: SideFile): void {
  const p = file.path;
  if (p === "" || p.startsWith("/") || p.includes("\\") || p.split("/").some((s) => s === ".." || s === "."))
    throw new ConfigError(
      `processing file '${p}' must be a plain path inside the model's folder (no '..', not absolute)`,
    );
  if (!/^sha256:[a-f0-9]{64}$/.test(file.digest))
    throw new ConfigError(`processing file '${p}' needs its digest as sha256:<64 hex>`);
}

async function readBeside(loc: ModelLocation, rel: string, fetch: FetchOptions): Promise<Uint8Array> {
  if (loc.kind === "http") {
    const url = new URL(rel, loc.url);
    try {
      const res = await egressGet(url, { policy: fetch.egress ?? CLOSED, timeoutMs: fetch.timeoutMs ?? 60_000 });
      if (!res.ok) {
        res.cancel();
        throw new ConfigError(`cannot fetch processing file ${shownUrl(url)}: HTTP ${res.status}`);
      }
      const bytes = await res.bytes();
      if (bytes.byteLength > SIDE_FILE_MAX_BYTES) throw new ConfigError(`processing file '${rel}' is too large`);
      return bytes;
    } catch (err) {
      if (err instanceof ConfigError || err instanceof EgressError) throw err;
      throw new ConfigError(`cannot fetch processing file ${shownUrl(url)}: ${(err as Error).message}`);
    }
  }
  if (loc.kind === "s3") throw notStaged(loc);
  const s = await stat(loc.path).catch(() => undefined);
  const dir = s?.isDirectory() ? loc.path : path.dirname(loc.path);
  const target = path.join(dir, rel);
  const size = (await stat(target).catch(() => undefined))?.size;
  if (size === undefined) throw new ConfigError(`processing file '${rel}' is not beside the model`);
  if (size > SIDE_FILE_MAX_BYTES)
    throw new ConfigError(`processing file '${rel}' is ${size} bytes, more than ${SIDE_FILE_MAX_BYTES}`);
  return readFile(target);
}

/** Reads a declared file once and checks its digest on those bytes. */
async function readSideFile(loc: ModelLocation, file: SideFile, fetch: FetchOptions = {}): Promise<Uint8Array> {
  checkName(file);
  const bytes = await readBeside(loc, file.path, fetch);
  const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (got !== file.digest)
    throw new ConfigError(
      `processing file '${file.path}' has ${got}, not the pinned ${file.digest}; refusing to serve`,
    );
  return bytes;
}

function isSideFile(v: unknown): v is SideFile {
  return typeof v === "object" && v !== null && typeof (v as SideFile).path === "string" && "digest" in v;
}

/** The paths of the files the declared processing reads beside the model (a model in object storage downloads them too). */
export function sideFilePaths(spec: ModelProcessing | undefined): string[] {
  const paths: string[] = [];
  for (const kind of Object.values(spec?.preprocessing ?? {}) as Record<string, unknown>[]) {
    for (const v of Object.values(kind ?? {})) {
      if (isSideFile(v)) {
        checkName(v);
        paths.push(v.path);
      }
    }
  }
  const labels = spec?.postprocessing?.topK?.labels;
  if (labels !== undefined) {
    checkName(labels);
    paths.push(labels.path);
  }
  return paths;
}

/** The model with its declared processing around it (the model itself when none is declared). */
export async function applyProcessing(
  model: LoadedModel,
  spec: ModelProcessing | undefined,
  loc: ModelLocation,
  fetch: FetchOptions = {},
): Promise<LoadedModel> {
  if (spec === undefined) return model;
  const p: Processing = {};
  if (spec.preprocessing !== undefined) {
    // Every { path, digest } field of the preprocessing (a tokenizer, …) is read and checked here, keyed by path.
    const files = new Map<string, Uint8Array>();
    for (const kind of Object.values(spec.preprocessing) as Record<string, unknown>[]) {
      for (const v of Object.values(kind ?? {})) {
        if (isSideFile(v)) files.set(v.path, await readSideFile(loc, v, fetch));
      }
    }
    // Imported here: the image and text preprocessors load sharp and the tokenizers, which a model without
    // preprocessing never needs (about 0.1 s of every start).
    const { buildPreprocessor } = await import("../preprocess/build.js");
    p.pre = buildPreprocessor(spec.preprocessing, model.signature, files);
  }
  const tk = spec.postprocessing?.topK;
  if (tk !== undefined) {
    const { labels, ...rest } = tk;
    p.topK = { ...rest, ...(labels ? { labels: await readSideFile(loc, labels, fetch) } : {}) };
  }
  return withProcessing(model, p);
}
