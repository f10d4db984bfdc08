/**
 * A closed-loop HTTP/1.1 load generator on raw keep-alive sockets: each of
 * `concurrency` connections sends the next request only when the previous reply
 * is complete. Raw sockets keep the client's own cost (and noise) far below
 * fetch's, so server overhead in microseconds stays visible.
 */
import net from "node:net";

export interface LoadOptions {
  port: number;
  path: string;
  body: string | Buffer;
  /** Content-Type of the body (default application/json). */
  contentType?: string;
  /** Extra request headers, e.g. the V2 binary extension's Inference-Header-Content-Length. */
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  host?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  /** Sorted latencies (µs), for merging runs. */
  latencies: Float64Array;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function request(opts: LoadOptions): Buffer {
  const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body;
  const extra = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const head =
    `POST ${opts.path} HTTP/1.1\r\nHost: ${opts.host ?? "127.0.0.1"}:${opts.port}\r\n` +
    `Content-Type: ${opts.contentType ?? "application/json"}\r\nContent-Length: ${body.length}\r\n${extra}` +
    "Connection: keep-alive\r\n\r\n";
  return Buffer.concat([Buffer.from(head), body]);
}

async function phase(
  opts: LoadOptions,
  durationMs: number,
  record: boolean,
): Promise<{ lat: number[]; errors: number; seconds: number }> {
  const req = request(opts);
  const lat: number[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(durationMs) * 1_000_000n;
  const conns = Array.from(
    { length: opts.concurrency },
    () =>
      new Promise<void>((resolve, reject) => {
        const sock = net.connect(opts.port, opts.host ?? "127.0.0.1");
        sock.setNoDelay(true);
        let buf: Buffer = Buffer.alloc(0);
        let sent = 0n;
        const send = () => {
          if (process.hrtime.bigint() >= end) {
            sock.end();
            resolve();
            return;
          }
          sent = process.hrtime.bigint();
          sock.write(req);
        };
        sock.on("connect", send);
        sock.on("error", reject);
        sock.on("data", (chunk: Buffer) => {
          buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
          const headerEnd = buf.indexOf("\r\n\r\n");
          if (headerEnd === -1) return;
          const head = buf.subarray(0, headerEnd).toString("latin1");
          // Anchored at a line start: "Inference-Header-Content-Length" must not be read as the body length.
          const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < headerEnd + 4 + len) return;
          const status = Number(head.slice(9, 12));
          if (status !== 200) errors++;
          if (record) lat.push(Number(process.hrtime.bigint() - sent) / 1000);
          buf = buf.subarray(headerEnd + 4 + len);
          send();
        });
      }),
  );
  await Promise.all(conns);
  return { lat, errors, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export async function closedLoop(opts: LoadOptions): Promise<LoadResult> {
  if ((opts.warmupMs ?? 300) > 0) await phase(opts, opts.warmupMs ?? 300, false);
  const { lat, errors, seconds } = await phase(opts, opts.durationMs, true);
  return summarize(lat, errors, seconds);
}

/** Throughput and latency percentiles of one timed phase (latencies in µs). */
export function summarize(lat: ArrayLike<number>, errors: number, seconds: number): LoadResult {
  const sorted = Float64Array.from(lat).sort();
  return {
    requests: sorted.length,
    errors,
    seconds,
    rps: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    latencies: sorted,
  };
}

/** Several timed runs of one configuration as one (requests and seconds summed, percentiles over all). */
export function mergeRuns(runs: readonly LoadResult[]): LoadResult {
  const all = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of runs) {
    all.set(r.latencies, at);
    at += r.latencies.length;
  }
  const errors = runs.reduce((n, r) => n + r.errors, 0);
  return summarize(
    all,
    errors,
    runs.reduce((n, r) => n + r.seconds, 0),
  );
}
