// Downloads an http(s) source with a size cap, a timeout and retries with back-off; errors name the URL (without
// its query string, which may carry a token) and the HTTP status. Each attempt writes a fresh file (a retry never
// appends to the bytes of a broken-off attempt), so the file is one whole response and never exceeds the cap.
import { createWriteStream, type WriteStream } from "node:fs";
import { PrepareError, PrepareReason } from "./errors.js";

export interface HttpLimits {
  maxBytes: number;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
}

const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBytes: 4 * 1024 ** 3,
  timeoutMs: 120_000,
  attempts: 4,
  backoffMs: 500,
};

class Retryable extends Error {}

function shown(url: string): string {
  const u = new URL(url);
  return u.origin + u.pathname;
}

const closed = (sink: WriteStream) =>
  new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));

/** Downloads `url` into `file` (truncated at each attempt); returns the bytes written. */
export async function downloadHttp(url: string, file: string, limits: Partial<HttpLimits> = {}): Promise<number> {
  const l = { ...DEFAULT_HTTP_LIMITS, ...limits };
  const name = shown(url);
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
      if (!(err instanceof Retryable)) throw err;
      last = err;
    }
  }
  throw new PrepareError(PrepareReason.SourceUnreachable, `${last?.message} (after ${l.attempts} attempts)`);
}

async function once(url: string, name: string, sink: WriteStream, l: HttpLimits): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(l.timeoutMs), redirect: "follow" });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new Retryable(
      `cannot download ${name}: ${cause === "TimeoutError" ? `no answer within ${l.timeoutMs} ms` : cause}`,
    );
  }
  if (res.status === 429 || res.status >= 500) throw new Retryable(`${name} answered HTTP ${res.status}`);
  if (!res.ok || !res.body) {
    throw new PrepareError(
      PrepareReason.SourceUnreachable,
      `${name} answered HTTP ${res.status}; check source.http.url`,
    );
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new PrepareError(
      PrepareReason.SourceTooLarge,
      `${name} is larger than the ${l.maxBytes}-byte limit; split the data or use a pvc source`,
    );
  if (declared > l.maxBytes) {
    await res.body.cancel();
    throw tooLarge();
  }
  let bytes = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > l.maxBytes) throw tooLarge();
      if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", () => r()));
    }
  } catch (err) {
    if (err instanceof PrepareError) throw err;
    throw new Retryable(`download of ${name} broke off after ${bytes} bytes: ${(err as Error).message}`);
  }
  return bytes;
}
