// Pod side of the result-reporting channel: POST a ReportUpdate to the operator over HTTPS, authenticated by the
// pod's projected service-account token (audience liftoff-operator). The token file is read on every report because
// the kubelet rotates it; transient failures (network, 5xx, 429) are retried with capped exponential back-off.
import { readFileSync } from "node:fs";
import { type Agent, request } from "node:https";
import path from "node:path";
import { POD_ENV } from "../contract/pod-env.js";
import { REPORT_FORMAT_VERSION, type ReportUpdate } from "../contract/report.js";

export interface Reporter {
  report(update: ReportUpdate): Promise<void>;
}

export class ReportError extends Error {
  override name = "ReportError";
  constructor(
    message: string,
    /** HTTP status, 0 when no answer came. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ReporterOptions {
  url: string;
  /** Path of the projected token (host path: already resolved against LIFTOFF_PATH_PREFIX). */
  tokenFile: string;
  /** PEM of the CA that signed the operator's serving certificate. */
  ca: string;
  attempts?: number;
  timeoutMs?: number;
  /** First retry delay; doubles per attempt, capped at 5 s. */
  backoffMs?: number;
}

/** Container path → host path under the node agent (docs/local-cluster.md); identity in a real container. */
function inContainer(p: string, prefix: string | undefined): string {
  return prefix && p.startsWith("/") ? path.join(prefix, p) : p;
}

/** Where and how a pod reaches the operator's report endpoint. */
export interface ReportChannel {
  url: string;
  /** Host path of the projected token (resolved against LIFTOFF_PATH_PREFIX). */
  tokenFile: string;
  /** PEM of the CA that signed the operator's serving certificate. */
  ca: string;
}

/**
 * The channel the pod's env describes: LIFTOFF_REPORT_URL, LIFTOFF_REPORT_TOKEN_FILE and LIFTOFF_REPORT_CA (PEM
 * text, or the path of a PEM file). Undefined when LIFTOFF_REPORT_URL is unset (a local run without an operator).
 */
export function reportChannelFromEnv(env: NodeJS.ProcessEnv = process.env): ReportChannel | undefined {
  const url = env[POD_ENV.reportUrl.name];
  if (!url) return undefined;
  const tokenFile = env[POD_ENV.reportTokenFile.name];
  const caRaw = env[POD_ENV.reportCa.name];
  if (!tokenFile || !caRaw) {
    throw new ReportError(
      `${POD_ENV.reportUrl.name} is set but ${POD_ENV.reportTokenFile.name} or ${POD_ENV.reportCa.name} is not`,
      0,
    );
  }
  const prefix = env[POD_ENV.pathPrefix.name];
  const ca = caRaw.includes("-----BEGIN") ? caRaw : readFileSync(inContainer(caRaw, prefix), "utf8");
  return { url, tokenFile: inContainer(tokenFile, prefix), ca };
}

/** The reporter the pod's env describes (reportChannelFromEnv); undefined without LIFTOFF_REPORT_URL. */
export function reporterFromEnv(env: NodeJS.ProcessEnv = process.env): Reporter | undefined {
  const channel = reportChannelFromEnv(env);
  return channel ? httpsReporter(channel) : undefined;
}

export function httpsReporter(o: ReporterOptions): Reporter {
  const attempts = o.attempts ?? 6;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const backoffMs = o.backoffMs ?? 250;
  return {
    async report(update) {
      const body = JSON.stringify({ formatVersion: REPORT_FORMAT_VERSION, ...update });
      let last: ReportError | undefined;
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, Math.min(5000, backoffMs * 2 ** (i - 1))));
        const token = readFileSync(o.tokenFile, "utf8").trim();
        try {
          await post(o.url, body, token, o.ca, timeoutMs);
          return;
        } catch (err) {
          if (!(err instanceof ReportError)) throw err;
          last = err;
          const transient = err.status === 0 || err.status === 429 || err.status >= 500;
          if (!transient) throw err;
        }
      }
      throw last ?? new ReportError(`report to ${o.url} failed`, 0);
    },
  };
}

/** How a POST travels: a keep-alive agent (serving pods reuse the connection), an abort on shutdown. */
export interface PostOptions {
  agent?: Agent;
  signal?: AbortSignal;
}

/** One POST of a JSON body with the pod's token; a ReportError with the status (0: no answer) unless 2xx. */
export function post(
  url: string,
  body: string,
  token: string,
  ca: string,
  timeoutMs: number,
  opts: PostOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca,
        timeout: timeoutMs,
        ...(opts.agent ? { agent: opts.agent } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve();
          let message = Buffer.concat(chunks).toString("utf8").slice(0, 500);
          try {
            message = (JSON.parse(message) as { error?: string }).error ?? message;
          } catch {
            // not JSON: keep the text
          }
          reject(new ReportError(`operator answered ${code} to the report at ${url}: ${message}`, code));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => reject(new ReportError(`cannot reach the operator at ${url}: ${err.message}`, 0)));
    req.end(body);
  });
}
