/**
 * Reads the baseline stats.json from where --baseline-uri says. A baseline that cannot be read does not stop
 * serving: drift stays off and /monitoring reports why (the operator shows it in the Drifted condition).
 */
import { readFile } from "node:fs/promises";
import type { ModelLocation } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import { parseBaseline } from "./baseline.js";
import type { BaselineState } from "./monitor.js";

async function readText(loc: ModelLocation, timeoutMs: number): Promise<string> {
  if (loc.kind === "file") {
    try {
      return await readFile(loc.path, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read the baseline stats.json: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  let res: Response;
  try {
    res = await fetch(loc.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new ConfigError(`cannot fetch the baseline ${loc.url.href}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new ConfigError(`cannot fetch the baseline ${loc.url.href}: HTTP ${res.status}`);
  return res.text();
}

export async function loadBaseline(loc: ModelLocation | undefined, timeoutMs = 30_000): Promise<BaselineState> {
  if (loc === undefined) return undefined;
  try {
    return { baseline: parseBaseline(await readText(loc, timeoutMs)) };
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    throw err;
  }
}
