// Downloads an http(s) source with a size cap, a timeout and retries with back-off; errors name the URL (without
// its query string, which may carry a token) and the HTTP status. Each attempt writes a fresh file (a retry never
// appends to the bytes of a broken-off attempt), so the file is one whole response and never exceeds the cap.
// The request goes through the egress guard (runtime/src/net/): a refused destination fails at once, EgressRefused.
import { createWriteStream, type WriteStream } from "node:fs";
import { CLOSED, EgressError, type EgressPolicy, type Lookup } from "../net/egress.js";
import { type EgressResponse, egressGet, shownUrl } from "../net/egress-request.js";
import { PrepareError, PrepareReason } from "./errors.js";

export interface HttpLimits {
  maxBytes: number;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  /** What the admin opened beyond public addresses (LIFTOFF_EGRESS_ALLOW); closed by default. */
  egress: EgressPolicy;
  /** Tests only: a resolver standing in for DNS. */
  lookup?: Lookup;
}

const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBytes: 4 * 1024 ** 3,
  timeoutMs: 120_000,
  attempts: 4,
  backoffMs: 500,
  egress: CLOSED,
};

class Retryable extends Error {}

const closed = (sink: WriteStream) =>
  new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));

/** Downloads `url` into `file` (truncated at each attempt); returns the bytes written. */
export async function downloadHttp(url: string, file: string, limits: Partial<HttpLimits> = {}): Promise<number> {
  const l = { ...DEFAULT_HTTP_LIMITS, ...limits };
  const name = shownUrl(url);
  let last: Error | undefined;
  for (let attempt = 0; attempt < l.attempts; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, l.backoffMs * 2 ** (attempt - 1)));
    const sink = createWriteStream(file, { flags: "w" });
    try {
      const bytes = await once(url, name, sink, l);
      await closed(sink);
      return bytes;
    } catch (err) {
      await closed(sink).catch(() => undefined);
      if (err instanceof EgressError) throw new PrepareError(PrepareReason.EgressRefused, err.message);
      if (!(err instanceof Retryable)) throw err;
      last = err;
    }
  }
  throw new PrepareError(PrepareReason.SourceUnreachable, `${last?.message} (after ${l.attempts} attempts)`);
}

async function once(url: string, name: string, sink: WriteStream, l: HttpLimits): Promise<number> {
  let res: EgressResponse;
  try {
    res = await egressGet(url, { policy: l.egress, timeoutMs: l.timeoutMs, ...(l.lookup ? { lookup: l.lookup } : {}) });
  } catch (err) {
    if (err instanceof EgressError) throw err;
    throw new Retryable((err as Error).message);
  }
  if (res.status === 429 || res.status >= 500) {
    res.cancel();
    throw new Retryable(`${name} answered HTTP ${res.status}`);
  }
  if (!res.ok) {
    res.cancel();
    throw new PrepareError(
      PrepareReason.SourceUnreachable,
      `${name} answered HTTP ${res.status}; check source.http.url`,
    );
  }
  const declared = res.declaredLength ?? 0;
  const tooLarge = () =>
    new PrepareError(
      PrepareReason.SourceTooLarge,
      `${name} is larger than the ${l.maxBytes}-byte limit; split the data or use a pvc source`,
    );
  if (declared > l.maxBytes) {
    res.cancel();
    throw tooLarge();
  }
  let bytes = 0;
  try {
    for await (const chunk of res.body) {
      bytes += chunk.length;
      if (bytes > l.maxBytes) throw tooLarge();
      if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", () => r()));
    }
  } catch (err) {
    res.cancel();
    if (err instanceof PrepareError) throw err;
    throw new Retryable(`download of ${name} broke off after ${bytes} bytes: ${(err as Error).message}`);
  }
  return bytes;
}
