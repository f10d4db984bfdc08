/**
 * 405 with a true Allow header for every method a known path does not serve,
 * including methods fastify does not route by default (QUERY, TRACE, PROPFIND…):
 * they are registered bodyless, so they reach the not-found handler, which asks
 * the table of known paths. The table is filled from the routes themselves as
 * they are registered (fastify's onRoute), so no route repeats its methods.
 */
import http from "node:http";
import type { FastifyInstance } from "fastify";
import { errors, type RuntimeError } from "../../errors.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * Whether this route serves a concrete path of its pattern, where one pattern stands for
     * several resources (V1's `{name}` and `{name}:predict`); every path when absent.
     */
    servesPath?: (path: string) => boolean;
  }
}

interface RoutedMethod {
  method: string;
  servesPath: ((path: string) => boolean) | undefined;
}

interface KnownPath {
  re: RegExp;
  routes: RoutedMethod[];
}

/** `/v2/models/:name/infer` → a regex of concrete paths. */
function pattern(url: string): RegExp {
  const escaped = url
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}

/** The methods each routed path serves, in the order the routes were registered. */
export class RouteTable {
  private readonly byUrl = new Map<string, KnownPath>();

  add(url: string, methods: string | readonly string[], servesPath?: (path: string) => boolean): void {
    let known = this.byUrl.get(url);
    if (known === undefined) {
      known = { re: pattern(url), routes: [] };
      this.byUrl.set(url, known);
    }
    for (const method of typeof methods === "string" ? [methods] : methods) known.routes.push({ method, servesPath });
  }

  /**
   * The Allow header's methods for `path`: those of the first route pattern that matches it,
   * HEAD (fastify's automatic twin of a GET route) last; undefined when no route matches.
   */
  allowed(path: string): string[] | undefined {
    for (const known of this.byUrl.values()) {
      if (!known.re.test(path)) continue;
      const methods = known.routes.filter((r) => r.servesPath?.(path) ?? true).map((r) => r.method);
      const head = methods.includes("HEAD") ? ["HEAD"] : [];
      return [...new Set(methods.filter((m) => m !== "HEAD")), ...head];
    }
    return undefined;
  }

  /** 405 when `path` is served with other methods, else 404. */
  unroutedError(method: string, path: string): RuntimeError {
    const allow = this.allowed(path);
    if (allow !== undefined) return errors.methodNotAllowed(method, allow);
    return errors.routeNotFound(method, path.length > 200 ? `${path.slice(0, 200)}...` : path);
  }
}

/**
 * Lets every method Node parses reach fastify's router and records each route's methods
 * as it is registered; call on the root instance before any route.
 */
export function installMethodGuard(app: FastifyInstance): RouteTable {
  const supported = new Set(app.supportedMethods);
  for (const m of http.METHODS) if (!supported.has(m) && m !== "CONNECT") app.addHttpMethod(m);
  // Fastify answers a QUERY without Content-Type with 400 before routing (RFC 10008);
  // no route here serves QUERY, so route it bodyless to its 405.
  app.addHttpMethod("QUERY", { overrideExisting: true });
  const table = new RouteTable();
  app.addHook("onRoute", (route) => table.add(route.url, route.method, route.config?.servesPath));
  return table;
}
