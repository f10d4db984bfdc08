/**
 * Reads the baseline stats.json from where --baseline-uri says. A baseline that cannot be read does not stop
 * serving: drift stays off and /monitoring reports why (the operator shows it in the Drifted condition).
 */
import { readFile } from "node:fs/promises";
import type { ModelLocation } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import type { StoreFor } from "../../model-s3.js";
import { CLOSED, EgressError, type EgressPolicy } from "../../net/egress.js";
import { egressGet, FetchFailed, shownUrl } from "../../net/egress-request.js";
import { StorageError } from "../../storage/errors.js";
import { parseBaseline } from "./baseline.js";
import type { BaselineState } from "./monitor.js";

/** Largest stats.json read from object storage (a baseline is a few KB of column statistics). */
const MAX_S3_BASELINE_BYTES = 16 * 1024 * 1024;

async function readS3Text(loc: Extract<ModelLocation, { kind: "s3" }>, store: StoreFor | undefined): Promise<string> {
  if (store === undefined) throw new ConfigError(`no object storage is configured to read the baseline ${loc.uri}`);
  const opened = await (await store(loc.bucket)).open(loc.key);
  if (opened.size > MAX_S3_BASELINE_BYTES) {
    opened.cancel();
    throw new ConfigError(`the baseline ${loc.uri} is ${opened.size} bytes, more than ${MAX_S3_BASELINE_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of opened.body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function readText(
  loc: ModelLocation,
  timeoutMs: number,
  egress: EgressPolicy,
  store: StoreFor | undefined,
): Promise<string> {
  if (loc.kind === "s3") return readS3Text(loc, store);
  if (loc.kind === "file") {
    try {
      return await readFile(loc.path, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read the baseline stats.json: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  try {
    const res = await egressGet(loc.url, { policy: egress, timeoutMs });
    if (!res.ok) {
      res.cancel();
      throw new ConfigError(`cannot fetch the baseline ${shownUrl(loc.url)}: HTTP ${res.status}`);
    }
    return await res.text();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EgressError) throw err;
    const detail = err instanceof FetchFailed ? err.detail : (err as Error).message;
    throw new ConfigError(`cannot fetch the baseline ${shownUrl(loc.url)}: ${detail}`);
  }
}

/** The baseline at `loc`; an http(s) one goes through the egress guard (closed unless the admin opened it). */
export async function loadBaseline(
  loc: ModelLocation | undefined,
  egress: EgressPolicy = CLOSED,
  timeoutMs = 30_000,
  /** The object store of an s3:// baseline (serve/start.ts). */
  store?: StoreFor,
): Promise<BaselineState> {
  if (loc === undefined) return undefined;
  try {
    return { baseline: parseBaseline(await readText(loc, timeoutMs, egress, store)) };
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    if (err instanceof StorageError) return { error: err.message };
    if (err instanceof EgressError) return { error: `${err.reason}: ${err.message}` };
    throw err;
  }
}
