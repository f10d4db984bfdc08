// Serving side of drift status: every period this pod pushes its monitoring snapshot (what GET /monitoring shows) to
// the operator over the result-reporting channel, authenticated by its projected token of audience liftoff-operator.
// Pushed rather than polled, so the operator needs no credential for the pod and /monitoring stays behind the API
// key (issue #24). A push that fails transiently (no answer, 429, 5xx — e.g. 503 from an operator replica that is
// not the leader) is retried with doubling back-off until the next period, whose fresher snapshot supersedes it;
// stop() ends the loop and aborts a push in flight.
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { monitoringReportUrl } from "../../contract/report.js";
import { post, type ReportChannel, ReportError } from "../../report/reporter.js";

/** Sends one snapshot body; throws a ReportError (status 0: no answer) when it is not accepted. */
export type PushSnapshot = (body: string, signal: AbortSignal) => Promise<void>;

interface PushLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface PusherOptions {
  /** The snapshot to push, or undefined while there is none (the model is still loading). */
  snapshot: () => unknown;
  push: PushSnapshot;
  periodMs: number;
  /** First retry delay; doubles per retry, capped at 5 s. */
  backoffMs?: number;
  log: PushLog;
  /** Milliseconds clock (tests move it with fake timers). */
  now?: () => number;
}

/** No answer, 429 and 5xx are worth another try; any other 4xx says the push itself is refused. */
function transient(err: unknown): boolean {
  if (!(err instanceof ReportError)) return true;
  return err.status === 0 || err.status === 429 || err.status >= 500;
}

export class MonitoringPusher {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** The last failure logged, so a lasting one is logged once, not every period. */
  private failing: string | undefined;

  constructor(private readonly o: PusherOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop: a wait ends at once, a push in flight is aborted. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private now(): number {
    return (this.o.now ?? performance.now.bind(performance))();
  }

  /** Resolves after ms, or at once when stopped. */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const period = this.o.periodMs;
    let next = this.now() + period;
    while (!this.abort.signal.aborted) {
      await this.sleep(next - this.now());
      if (this.abort.signal.aborted) return;
      next = Math.max(next + period, this.now() + 1);
      await this.pushUntil(next);
    }
  }

  /** Pushes the current snapshot, retrying transient failures while the next period has not come. */
  private async pushUntil(deadline: number): Promise<void> {
    const snap = this.o.snapshot();
    if (snap === undefined) return;
    const body = JSON.stringify(snap);
    const backoff = this.o.backoffMs ?? 250;
    const signal = this.abort.signal;
    for (let retry = 0; ; retry++) {
      try {
        await this.o.push(body, signal);
        if (this.failing !== undefined) this.o.log.info("monitoring snapshot pushed to the operator again");
        this.failing = undefined;
        return;
      } catch (err) {
        if (signal.aborted) return;
        const message = (err as Error).message;
        const wait = Math.min(5000, backoff * 2 ** retry);
        if (!transient(err) || this.now() + wait >= deadline) return this.failed(message);
        await this.sleep(wait);
        if (signal.aborted) return;
      }
    }
  }

  private failed(message: string): void {
    if (this.failing !== message) this.o.log.warn(`cannot push the monitoring snapshot: ${message}`);
    this.failing = message;
  }
}

/**
 * The push over the report channel: the token file is read on each push (the kubelet rotates it), and one kept-alive
 * connection is reused, so once it reaches the leading operator replica it stays there (a replica that is not the
 * leader answers 503 and closes the connection: the retry may reach another). close() drops it.
 */
export function httpsPush(channel: ReportChannel, timeoutMs = 10_000): { push: PushSnapshot; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = monitoringReportUrl(channel.url);
  return {
    push: (body, signal) =>
      post(url, body, readFileSync(channel.tokenFile, "utf8").trim(), channel.ca, timeoutMs, { agent, signal }),
    close: () => agent.destroy(),
  };
}
