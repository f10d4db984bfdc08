/**
 * Model artifacts: where a model URI points, fetching model.json and its weight
 * files as bytes, and the artifact digest. Nothing here knows TensorFlow.js, so
 * `train` can compute the same digest it writes into TrainingJob status.
 *
 * Digest: sha256 over model.json's bytes followed by each weight file's bytes in
 * weightsManifest order, i.e. `cat model.json <shards...> | sha256sum`.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ManifestJson, PreprocessingJson } from "./contract/artifacts.js";
import { parseModelUri } from "./contract/model-uri.js";
import { ConfigError } from "./errors.js";
import type { S3Location, StoreFor } from "./model-s3.js";
import { CLOSED, EgressError, type EgressPolicy } from "./net/egress.js";
import { egressGet, FetchFailed, shownUrl } from "./net/egress-request.js";

/** A local file or folder, an http(s) URL, or an object (or folder) in object storage, staged before loading (model-s3.ts). */
export type ModelLocation = { kind: "file"; path: string } | { kind: "http"; url: URL } | S3Location;

/** Bucket names as S3 takes them (3-63 lower-case letters, digits, dots, hyphens); the CRD checks the same. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Pure: maps an absolute container path onto the host folder that stands for the container's root. The local
 * node agent (docs/local-cluster.md) runs pods as processes and sets LIFTOFF_PATH_PREFIX; in a real container it
 * is unset and paths are used as they are.
 */
export function inContainerRoot(location: ModelLocation, prefix: string | undefined): ModelLocation {
  if (!prefix || location.kind !== "file") return location;
  return { kind: "file", path: path.join(prefix, location.path) };
}

/** Pure: turns a model URI (parsed by the contract's parseModelUri, as the operator does) into where model.json is. */
export function resolveModelUri(uri: string, pvcRoot: string, cwd = process.cwd()): ModelLocation {
  const { scheme, location } = parseModelUri(uri);
  switch (location.kind) {
    case "path":
      return { kind: "file", path: path.resolve(cwd, uri) };
    case "file":
      try {
        return { kind: "file", path: fileURLToPath(uri) };
      } catch {
        throw new ConfigError(`model URI '${uri}' is not a valid absolute file:// URI`);
      }
    case "pvc": {
      const { claim, path: sub } = location;
      if (claim === "" || sub === "") throw new ConfigError(`model URI '${uri}' must look like pvc://<claim>/<path>`);
      if (sub.split("/").includes("..") || claim === "..") {
        throw new ConfigError(`model URI '${uri}' must not contain '..'`);
      }
      return { kind: "file", path: path.join(pvcRoot, claim, sub) };
    }
    case "http":
      return { kind: "http", url: new URL(uri) };
    case "s3": {
      const { bucket, key } = location;
      if (!S3_BUCKET.test(bucket) || key === "" || /\s/.test(key)) {
        throw new ConfigError(
          `model URI '${uri}' must look like s3://<bucket>/<key> (a bucket name of 3-63 lower-case letters, digits, dots or hyphens, and a key)`,
        );
      }
      return { kind: "s3", uri, bucket, key };
    }
    case "unsupported":
      throw new ConfigError(
        `model URI scheme '${scheme}://' is not supported (use a path, file://, pvc://, http(s):// or s3://)`,
      );
  }
}

interface WeightsGroup {
  paths: string[];
  weights: unknown[];
}

export interface FetchedArtifact {
  /** Parsed model.json. */
  modelJson: Record<string, unknown> & { weightsManifest?: WeightsGroup[] };
  /** Weight file contents in manifest order. */
  weightFiles: Uint8Array[];
  /** Lower-case hex sha256 (see file comment). */
  digest: string;
  bytes: number;
  /** The DataSet's preprocessing.json, when the artifact carries one (models from `train`): raw records in. */
  preprocessing?: PreprocessingJson;
}

interface Source {
  describe: string;
  read(relative: string | undefined): Promise<Uint8Array>;
  /** Where `relative` points (model.json itself for undefined): the same file gives the same key. */
  key(relative: string | undefined): string;
}

/**
 * Each file is read once and every later use gets those same bytes: the digest and the manifest are checked on the
 * bytes that are then loaded, so a file swapped between two reads cannot be served after a check of the other.
 */
function readOnce(source: Source): Source {
  const seen = new Map<string, Promise<Uint8Array>>();
  return {
    ...source,
    read(relative) {
      const k = source.key(relative);
      let bytes = seen.get(k);
      if (bytes === undefined) {
        bytes = source.read(relative);
        seen.set(k, bytes);
      }
      return bytes;
    },
  };
}

function fileSource(modelPath: string, mainName = "model.json"): Source {
  return {
    describe: modelPath,
    key: (relative) =>
      relative === undefined ? path.resolve(modelPath) : path.resolve(path.dirname(modelPath), relative),
    async read(relative) {
      const dir = path.dirname(modelPath);
      const target = relative === undefined ? modelPath : path.resolve(dir, relative);
      if (relative !== undefined && !target.startsWith(dir + path.sep)) {
        throw new ConfigError(`weight path '${relative}' leaves the model directory`);
      }
      try {
        return await readFile(target);
      } catch (err) {
        const what = relative === undefined ? mainName : `weight file '${relative}'`;
        throw new ConfigError(`cannot read ${what} of the model: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
      }
    },
  };
}

/** How an http(s) artifact is fetched: through the egress guard (runtime/src/net/), closed unless the admin opened it. */
export interface FetchOptions {
  timeoutMs?: number;
  egress?: EgressPolicy;
  /** The object store of a bucket, for s3:// locations (built from the pod's env on first use). */
  objectStore?: StoreFor;
}

function httpSource(url: URL, o: FetchOptions): Source {
  const options = { policy: o.egress ?? CLOSED, timeoutMs: o.timeoutMs ?? 60_000 };
  return {
    describe: url.href,
    key: (relative) => (relative === undefined ? url.href : new URL(relative, url).href),
    async read(relative) {
      const target = relative === undefined ? url : new URL(relative, url);
      try {
        const res = await egressGet(target, options);
        if (!res.ok) {
          res.cancel();
          throw new ConfigError(`cannot fetch ${shownUrl(target)}: HTTP ${res.status}`);
        }
        return await res.bytes();
      } catch (err) {
        if (err instanceof ConfigError || err instanceof EgressError) throw err;
        const detail = err instanceof FetchFailed ? err.detail : (err as Error).message;
        throw new ConfigError(`cannot fetch ${shownUrl(target)}: ${detail}`);
      }
    },
  };
}

/** An s3:// location is staged onto local disk before any reader sees it (serve/model-host.ts, model-s3.ts). */
export function notStaged(loc: S3Location): ConfigError {
  return new ConfigError(`the model ${loc.uri} must be downloaded before it is read`);
}

async function sourceFor(loc: ModelLocation, o: FetchOptions): Promise<Source> {
  if (loc.kind === "http") return httpSource(loc.url, o);
  if (loc.kind === "s3") throw notStaged(loc);
  // A directory means its model.json, as the operator writes pvc://claim/models/x.
  const s = await stat(loc.path).catch(() => undefined);
  if (s === undefined) throw new ConfigError(`the model path does not exist: ${loc.path}`);
  return fileSource(s.isDirectory() ? path.join(loc.path, "model.json") : loc.path);
}

/**
 * Reads model.json and its weights, computes the digest, and checks it when expected. An http(s) one that the
 * egress policy refuses throws EgressError (reason EgressRefused).
 */
export async function fetchArtifact(
  loc: ModelLocation,
  expectedDigest: string | undefined,
  options: FetchOptions = {},
): Promise<FetchedArtifact> {
  const source = readOnce(await sourceFor(loc, options));
  const jsonBytes = await source.read(undefined);
  let modelJson: FetchedArtifact["modelJson"];
  try {
    modelJson = JSON.parse(Buffer.from(jsonBytes).toString("utf8"));
  } catch {
    throw new ConfigError("model.json is not valid JSON");
  }
  if (typeof modelJson !== "object" || modelJson === null || !("modelTopology" in modelJson)) {
    throw new ConfigError("model.json has no modelTopology; is this a TensorFlow.js model?");
  }
  const hash = createHash("sha256").update(jsonBytes);
  const weightFiles: Uint8Array[] = [];
  let bytes = jsonBytes.byteLength;
  for (const group of modelJson.weightsManifest ?? []) {
    for (const p of group.paths) {
      const data = await source.read(p);
      hash.update(data);
      weightFiles.push(data);
      bytes += data.byteLength;
    }
  }
  const digest = hash.digest("hex");
  // A trained artifact (runtime/src/train/publish.ts) is named by its manifest's sha256 instead: accept that digest
  // when manifest.json has it and every file it lists matches its own sha256.
  const manifestBytes = await readOptional(source, "manifest.json");
  const manifestDigest = manifestBytes && createHash("sha256").update(manifestBytes).digest("hex");
  if (expectedDigest !== undefined && digest !== expectedDigest) {
    if (manifestBytes === undefined || manifestDigest !== expectedDigest) {
      throw new ConfigError(
        `model digest mismatch: expected sha256:${expectedDigest}, got sha256:${digest}${manifestDigest ? ` (manifest sha256:${manifestDigest})` : ""}; refusing to serve`,
      );
    }
    await verifyManifest(source, manifestBytes);
  }
  const preBytes = await readOptional(source, "preprocessing.json");
  // preprocessing.json changes what is served as much as the weights do: with a digest to check, it is used only when
  // that digest is the manifest's (which lists it, checked above on these bytes); a model.json + weights digest
  // does not cover it.
  if (preBytes !== undefined && expectedDigest !== undefined && digest === expectedDigest) {
    throw new ConfigError(
      "preprocessing.json next to the model is not covered by the model.json + weights digest; pin the artifact by its manifest digest (the TrainingJob's status.model.digest) instead",
    );
  }
  let preprocessing: PreprocessingJson | undefined;
  if (preBytes !== undefined) {
    try {
      preprocessing = JSON.parse(Buffer.from(preBytes).toString("utf8")) as PreprocessingJson;
    } catch {
      throw new ConfigError("preprocessing.json next to the model is not valid JSON");
    }
  }
  return { modelJson, weightFiles, digest, bytes, ...(preprocessing ? { preprocessing } : {}) };
}

/** Pure: whether a location names an ONNX file by its extension (how `--model-format auto` tells). */
export function isOnnxLocation(loc: ModelLocation): boolean {
  const p = loc.kind === "file" ? loc.path : loc.kind === "s3" ? loc.key : loc.url.pathname;
  return p.toLowerCase().endsWith(".onnx");
}

async function readOptional(source: Source, relative: string): Promise<Uint8Array | undefined> {
  try {
    return await source.read(relative);
  } catch (err) {
    // A refused redirect is not a missing file: serving without the file it stood for would be wrong.
    if (err instanceof EgressError) throw err;
    return undefined;
  }
}

/** Every file manifest.json lists must match its sha256 (a tampered weights file or preprocessing.json fails). */
async function verifyManifest(source: Source, manifestBytes: Uint8Array): Promise<void> {
  let manifest: ManifestJson;
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes).toString("utf8")) as ManifestJson;
  } catch {
    throw new ConfigError("manifest.json of the model is not valid JSON");
  }
  for (const f of manifest.files ?? []) {
    const got = createHash("sha256")
      .update(await source.read(f.path))
      .digest("hex");
    if (got !== f.sha256) throw new ConfigError(`${f.path} does not match the model's manifest; refusing to serve`);
  }
}
