/** 405 with an Allow header for every method a known path does not serve. */
import type { FastifyInstance } from "fastify";
import { errors } from "./errors.js";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

export function methodGuard(app: FastifyInstance, url: string, allowed: readonly ("GET" | "POST")[]): void {
  const allow = allowed.includes("GET") ? [...allowed, "HEAD"] : [...allowed];
  app.route({
    method: METHODS.filter((m) => !(allowed as readonly string[]).includes(m)),
    url,
    schema: { hide: true },
    handler: async (req) => {
      throw errors.methodNotAllowed(req.method, allow);
    },
  });
}
