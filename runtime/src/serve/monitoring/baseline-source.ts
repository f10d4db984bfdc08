/**
 * Reads the baseline stats.json from where --baseline-uri says. A baseline that cannot be read does not stop
 * serving: drift stays off and /monitoring reports why (the operator shows it in the Drifted condition).
 */
import { readFile } from "node:fs/promises";
import type { ModelLocation } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import { CLOSED, EgressError, type EgressPolicy } from "../../net/egress.js";
import { egressGet, FetchFailed, shownUrl } from "../../net/egress-request.js";
import { parseBaseline } from "./baseline.js";
import type { BaselineState } from "./monitor.js";

async function readText(loc: ModelLocation, timeoutMs: number, egress: EgressPolicy): Promise<string> {
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
): Promise<BaselineState> {
  if (loc === undefined) return undefined;
  try {
    return { baseline: parseBaseline(await readText(loc, timeoutMs, egress)) };
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    if (err instanceof EgressError) return { error: `${err.reason}: ${err.message}` };
    throw err;
  }
}
