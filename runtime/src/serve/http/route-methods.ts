/**
 * 405 with a true Allow header for every method a known path does not serve,
 * including methods fastify does not route by default (QUERY, TRACE, PROPFIND…):
 * they are registered bodyless, so they reach the not-found handler, which asks
 * the table of known paths built by methodGuard().
 */
import http from "node:http";
import type { FastifyInstance } from "fastify";
import { errors, type RuntimeError } from "../../errors.js";

interface KnownPath {
  re: RegExp;
  allow: (path: string) => readonly string[];
}

const KNOWN = Symbol("liftoff.knownPaths");
type WithKnown = FastifyInstance & { [KNOWN]?: KnownPath[] };

/** Lets every method Node parses reach fastify's router; call on the root instance before routes. */
export function routeEveryMethod(app: FastifyInstance): void {
  const supported = new Set(app.supportedMethods);
  for (const m of http.METHODS) if (!supported.has(m) && m !== "CONNECT") app.addHttpMethod(m);
  // Fastify answers a QUERY without Content-Type with 400 before routing (RFC 10008);
  // no route here serves QUERY, so route it bodyless to its 405.
  app.addHttpMethod("QUERY", { overrideExisting: true });
  app.decorate(KNOWN, [] as KnownPath[]);
}

/** `/v2/models/:name/infer` → a regex of concrete paths. */
function pattern(url: string): RegExp {
  const escaped = url
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}

/**
 * Records the methods `url` serves. `allowFor` refines them per concrete path
 * (V1's `{name}` and `{name}:predict` share one route pattern).
 */
export function methodGuard(
  app: FastifyInstance,
  url: string,
  allowed: readonly ("GET" | "POST")[],
  allowFor?: (path: string) => readonly ("GET" | "POST")[],
): void {
  const withHead = (ms: readonly string[]) => (ms.includes("GET") ? [...ms, "HEAD"] : [...ms]);
  const known = (app as WithKnown)[KNOWN];
  if (known === undefined) throw new Error("routeEveryMethod() must run on the root instance first");
  known.push({ re: pattern(url), allow: allowFor ? (p) => withHead(allowFor(p)) : () => withHead(allowed) });
}

/** 405 when `path` is served with other methods, else 404. */
export function unroutedError(app: FastifyInstance, method: string, path: string): RuntimeError {
  const hit = (app as WithKnown)[KNOWN]?.find((k) => k.re.test(path));
  if (hit !== undefined) return errors.methodNotAllowed(method, hit.allow(path));
  return errors.routeNotFound(method, path.length > 200 ? `${path.slice(0, 200)}...` : path);
}
