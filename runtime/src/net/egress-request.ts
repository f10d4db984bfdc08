// A GET through the egress guard (egress.ts): each hop's host is checked and the socket connects to the addresses
// the check returned (a `lookup` that answers with them: no second DNS query), TLS still verifies the certificate
// against the host name (SNI and identity come from the URL). Redirects are followed by hand — each Location checked
// by the same guard, at most MAX_REDIRECTS hops, never from https down to http. Errors name the first URL (origin
// and path), the status code and a fixed phrase: no header value (Location included) reaches a message.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import {
  type CheckedAddress,
  checkEgress,
  EgressError,
  type EgressPolicy,
  HOW_TO_ALLOW,
  type Lookup,
} from "./egress.js";

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface EgressOptions {
  policy: EgressPolicy;
  /** Bounds the whole exchange, redirects and body included. */
  timeoutMs: number;
  /** Tests only: a resolver standing in for DNS. */
  lookup?: Lookup;
}

/** A response whose body has not been read: stream `body`, or read it whole with bytes() / text(). */
export interface EgressResponse {
  status: number;
  ok: boolean;
  /** Content-Length when the server declared one. */
  declaredLength: number | undefined;
  body: AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  /** Drops the connection without reading the body. */
  cancel(): void;
}

/** The network failed (refused, reset, timed out, unresolvable): worth a retry, unlike a refusal by the guard. */
export class FetchFailed extends Error {
  override name = "FetchFailed";
  constructor(
    url: string,
    /** What went wrong, in a fixed phrase or an error code. */
    readonly detail: string,
  ) {
    super(`cannot download ${url}: ${detail}`);
  }
}

/** How messages name a URL: origin and path, never the query (it may carry a token). */
export function shownUrl(url: URL | string): string {
  const u = new URL(url);
  return u.origin + u.pathname;
}

/** A `lookup` that answers with the checked addresses whatever it is asked (net.connect asks with `all` or not). */
function pinned(addresses: readonly CheckedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const first = addresses[0] as CheckedAddress;
    if (options?.all)
      callback(
        null,
        addresses.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, first.address, first.family);
  }) as unknown as LookupFunction;
}

function request(url: URL, addresses: readonly CheckedAddress[], signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      agent: false, // no pooled socket that another lookup opened
      lookup: pinned(addresses),
      signal,
      headers: { accept: "*/*", "user-agent": "liftoff-runtime" },
    });
    req.once("response", resolve);
    req.once("error", reject);
  });
}

function failure(name: string, err: unknown, signal: AbortSignal, timeoutMs: number): Error {
  if (err instanceof EgressError) return err;
  if (signal.aborted) return new FetchFailed(name, `no answer within ${timeoutMs} ms`);
  return new FetchFailed(name, (err as { code?: string }).code ?? (err as Error).name);
}

function wrap(res: IncomingMessage): EgressResponse {
  const declared = Number(res.headers["content-length"]);
  const bytes = async () => {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  };
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    declaredLength: Number.isFinite(declared) && declared >= 0 ? declared : undefined,
    body: res,
    bytes,
    text: async () => Buffer.from(await bytes()).toString("utf8"),
    cancel: () => res.destroy(),
  };
}

/**
 * Where a response sends the client next (pure): undefined when it is no redirect, else the Location resolved against
 * the current URL; refuses a 6th hop, a scheme other than http(s) and a step down from https to http. `name` is how
 * messages name the first URL; the Location itself never appears in one.
 */
export function redirectTarget(
  current: URL,
  status: number,
  location: string | undefined,
  hop: number,
  name: string,
): URL | undefined {
  if (!REDIRECTS.has(status) || location === undefined) return undefined;
  if (hop >= MAX_REDIRECTS) throw new EgressError(`${name} redirects more than ${MAX_REDIRECTS} times; refused`);
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new FetchFailed(name, `HTTP ${status} with an invalid redirect`);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new EgressError(`${name} redirects to a URL that is not http(s); refused`);
  }
  if (current.protocol === "https:" && next.protocol === "http:") {
    throw new EgressError(`${name} redirects from https to http; refused (use a URL that stays on https)`);
  }
  return next;
}

/** GETs `url` under the egress policy; throws EgressError (refused) or FetchFailed (network). */
export async function egressGet(url: URL | string, o: EgressOptions): Promise<EgressResponse> {
  const first = new URL(url);
  const name = shownUrl(first);
  const signal = AbortSignal.timeout(o.timeoutMs);
  if (first.protocol !== "http:" && first.protocol !== "https:") throw new FetchFailed(name, "not an http(s) URL");
  let current = first;
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      const addresses = await checkEgress(current.hostname, o.policy, o.lookup);
      res = await request(current, addresses, signal);
    } catch (err) {
      if (err instanceof EgressError && hop > 0) {
        throw new EgressError(
          `${name} redirects to ${err.refusal}, which is refused; if that is a trusted source, ${HOW_TO_ALLOW}`,
        );
      }
      throw failure(name, err, signal, o.timeoutMs);
    }
    let next: URL | undefined;
    try {
      next = redirectTarget(current, res.statusCode ?? 0, res.headers.location, hop, name);
    } catch (err) {
      res.destroy();
      throw err;
    }
    if (next === undefined) return wrap(res);
    res.destroy(); // a redirect's body is not read
    current = next;
  }
}
