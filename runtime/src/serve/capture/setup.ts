// `serve --capture`: what is done once. Before listening (prepareCapture): the config is checked against the served
// format, the pii salts are read from Vault (a Vault failure stops the start, as for API keys), DuckDB is opened and
// the destination resolved. Once the model is loaded (attachCapture): only a model that takes raw records (its
// artifact carries the DataSet's preprocessing.json) can be captured; any other is refused with the reason.
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type client from "prom-client";
import { inContainerRoot, resolveModelUri } from "../../artifact.js";
import type { CaptureConfig } from "../../contract/capture.js";
import { parseModelUri } from "../../contract/model-uri.js";
import { ConfigError } from "../../errors.js";
import type { StoreFor } from "../../model-s3.js";
import type { VaultClient } from "../../vault/client.js";
import type { ModelHost } from "../model-host.js";
import { CaptureMetrics } from "./metrics.js";
import { type CaptureStore, localCaptureStore, s3CaptureStore } from "./store.js";
import { CaptureWriter, type DataKeys } from "./writer.js";

export interface PreparedCapture {
  config: CaptureConfig;
  pod: string;
  scratch: string;
  salts: Map<string, Buffer>;
  keys: DataKeys | undefined;
  store: CaptureStore;
}

export interface CaptureEnv {
  env: NodeJS.ProcessEnv;
  pvcRoot: string;
  objectStore: StoreFor;
  /** Logs in to Vault (called only when pii is hashed or the capture is encrypted). */
  vault: () => Promise<VaultClient>;
  /** What is served: capture needs tabular raw records. */
  format: string;
  processing: boolean;
}

/** A memory-backed folder when there is one (/dev/shm): the Parquet is plaintext until it is encrypted. */
async function scratchFolder(): Promise<string> {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  return mkdtemp(path.join(base, "liftoff-capture-"));
}

export async function prepareCapture(config: CaptureConfig, o: CaptureEnv): Promise<PreparedCapture> {
  if (o.format === "gguf" || o.processing)
    throw new ConfigError(
      `--capture records tabular raw records; a ${o.processing ? "model with declared pre/postprocessing (files in)" : "gguf (language) model"} has none: turn capture off`,
    );
  const pod = (o.env.POD_NAME || o.env.HOSTNAME || hostname()).toLowerCase();
  const scratch = await scratchFolder();
  const limits = { maxBytes: config.maxBytes, retentionHours: config.retentionHours };
  const { location } = parseModelUri(config.uri);
  let store: CaptureStore;
  if (location.kind === "s3") {
    store = s3CaptureStore(config.uri, o.objectStore, location, pod, limits, scratch);
  } else {
    const resolved = inContainerRoot(resolveModelUri(config.uri, o.pvcRoot), o.env.LIFTOFF_PATH_PREFIX);
    if (resolved.kind !== "file") throw new ConfigError(`--capture: uri ${config.uri} is not pvc:// or s3://`);
    store = localCaptureStore(config.uri, resolved.path, pod, limits);
  }
  const hashed = config.pii.filter((p) => p.action === "hash");
  const salts = new Map<string, Buffer>();
  let keys: DataKeys | undefined;
  if (hashed.length > 0 || config.encryption) {
    const vault = await o.vault();
    for (const p of hashed)
      salts.set(p.column, Buffer.from(await vault.readKv(p.saltVaultPath ?? "", p.saltVaultKey ?? ""), "utf8"));
    if (config.encryption) {
      keys = {
        generate: async (transitKey) => {
          const { wrappedKey } = await vault.generateWrappedDataKey(transitKey);
          return { wrappedKey, dataKey: await vault.unwrapDataKey(transitKey, wrappedKey) };
        },
      };
      // The role must be allowed the data key now, not at the first flush: a missing policy fails the start.
      (await keys.generate(config.encryption.transitKey)).dataKey.fill(0);
    } else vault.close();
  }
  return { config, pod, scratch, salts, keys, store };
}

/** Once the model is loaded: the writer, started; a model without raw records is refused. */
export async function attachCapture(
  p: PreparedCapture,
  modelHost: ModelHost,
  registry: client.Registry,
  feedback: boolean,
  log: { info(m: string): void; warn(m: string): void },
  /** Tests: a smaller buffer than MAX_BUFFERED_ROWS. */
  maxBufferedRows?: number,
): Promise<CaptureWriter> {
  if (modelHost.raw === undefined)
    throw new ConfigError(
      "--capture needs a model that takes raw records (trained by a TrainingJob: preprocessing.json beside it); this one takes tensors only",
    );
  const { ParquetWriter } = await import("./parquet.js");
  const parquet = await ParquetWriter.open(p.config, p.salts, p.scratch);
  const writer = new CaptureWriter({
    config: p.config,
    pod: p.pod,
    store: p.store,
    parquet,
    keys: p.keys,
    metrics: new CaptureMetrics(registry, modelHost.name),
    scratch: p.scratch,
    feedback,
    log,
    classes: modelHost.raw.classes,
    modelDigest: () => (modelHost.digest ? `sha256:${modelHost.digest}` : ""),
    ...(maxBufferedRows !== undefined ? { maxBufferedRows } : {}),
  });
  writer.start();
  return writer;
}
