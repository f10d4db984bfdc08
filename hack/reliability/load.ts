// Steady open-loop load: `rate` V1 predict requests per second, each sent on schedule whether or not earlier ones
// have answered (a closed loop would slow down exactly when a fault hurts and so hide failures). Every request is
// recorded: when it started and ended, which pod it went to, and whether it got a correct 200.
import http from "node:http";
import { percentile } from "../../bench/lib/client.js";
import type { EndpointPool } from "./endpoints.js";

export interface Sample {
  start: number;
  end: number;
  pod: string;
  ok: boolean;
  error?: string;
  /** The first connection was refused and the request went to another pod. */
  retried?: boolean;
  /** Which model version answered (LoadTarget.classify). */
  answer?: string;
  /** Failed before the request reached a server: connection refused, or a reused connection reset before any answer. */
  unsent?: boolean;
}

export interface LoadTarget {
  pool: EndpointPool;
  model: string;
  /** Names the model version a 200 answer's predictions came from; undefined: a wrong answer (counted failed). */
  classify: (predictions: number[][]) => string | undefined;
  apiKey?: string;
  timeoutMs?: number;
  /** Re-send once, to another pod, a request that never reached a server: its connection was refused, or it was
   * written to a kept-alive connection the server had already closed and reset before any answer (what Node's
   * http documentation says to retry, `request.reusedSocket`), as a gateway with retry-on-connect-failure/reset
   * does. Off: those are failed requests (plain kube-proxy). */
  retryUnsent?: boolean;
}

const ROW = [1, 2, 3];

export class SteadyLoad {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  readonly startedAt = performance.now();

  constructor(
    private readonly target: LoadTarget,
    readonly rate: number,
  ) {}

  start(): void {
    let due = performance.now();
    const tick = () => {
      const now = performance.now();
      // Catch up on missed ticks (a busy event loop), but never burst more than a second's worth.
      due = Math.max(due, now - 1000);
      while (due <= now) {
        due += 1000 / this.rate;
        const p = this.one();
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      }
      this.timer = setTimeout(tick, Math.max(1, due - performance.now()));
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all([...this.inflight]);
    this.agent.destroy();
  }

  private async one(): Promise<void> {
    const start = performance.now();
    const first = await this.send(start);
    if (first.ok || !this.target.retryUnsent || !first.unsent) {
      this.samples.push(first);
      return;
    }
    const again = await this.send(start, first.pod);
    this.samples.push({ ...again, retried: true });
  }

  private send(start: number, avoid?: string): Promise<Sample> {
    let ep = this.target.pool.pick();
    if (avoid !== undefined && (ep?.pod ?? ep?.url) === avoid) ep = this.target.pool.pick();
    if (!ep) return Promise.resolve({ start, end: start, pod: "", ok: false, error: "no ready endpoint" });
    const pod = ep.pod ?? ep.url;
    const body = JSON.stringify({ instances: [ROW] });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
    };
    if (this.target.apiKey) headers.authorization = `Bearer ${this.target.apiKey}`;
    return new Promise<Sample>((resolve) => {
      let settled = false;
      let answered = false;
      const done = (ok: boolean, error?: string, answer?: string, unsent?: boolean) => {
        if (settled) return;
        settled = true;
        resolve({
          start,
          end: performance.now(),
          pod,
          ok,
          ...(error ? { error } : {}),
          ...(answer ? { answer } : {}),
          ...(unsent ? { unsent } : {}),
        });
      };
      const req = http.request(
        {
          host: ep.ip,
          port: ep.port,
          method: "POST",
          path: `/v1/models/${this.target.model}:predict`,
          headers,
          agent: this.agent,
          timeout: this.target.timeoutMs ?? 10_000,
        },
        (res) => {
          answered = true;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("error", (err) => done(false, err.message));
          res.on("end", () => {
            if (res.statusCode !== 200) return done(false, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
            try {
              const answer = this.target.classify((JSON.parse(text) as { predictions: number[][] }).predictions);
              if (answer === undefined) return done(false, `wrong answer ${text.slice(0, 200)}`);
              done(true, undefined, answer);
            } catch {
              done(false, `not JSON: ${text.slice(0, 200)}`);
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (err: NodeJS.ErrnoException) => {
        const unsent = err.code === "ECONNREFUSED" || (err.code === "ECONNRESET" && req.reusedSocket && !answered);
        done(false, err.message, undefined, unsent);
      });
      req.end(body);
    });
  }
}

export interface Window {
  sent: number;
  failed: number;
  p99Ms: number;
  errors: string[];
}

/** Requests that started in [from, to) (performance.now() times). */
export function windowOf(samples: readonly Sample[], from = 0, to = Number.POSITIVE_INFINITY): Window {
  const inside = samples.filter((s) => s.start >= from && s.start < to);
  const failed = inside.filter((s) => !s.ok);
  const lat = Float64Array.from(inside.filter((s) => s.ok).map((s) => s.end - s.start)).sort();
  const errors = [...new Set(failed.map((s) => s.error ?? "?"))].slice(0, 5);
  return { sent: inside.length, failed: failed.length, p99Ms: percentile(lat, 99), errors };
}
