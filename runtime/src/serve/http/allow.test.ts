import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";

// Every routed path answers a method it does not serve with 405 and the methods it does serve in Allow;
// any other path is a 404. One row per route pattern, so a route added or moved shows up here.
const GET = "GET, HEAD";
const ALLOW: [path: string, allow: string][] = [
  ["/metrics", GET],
  ["/openapi.json", GET],
  ["/monitoring", GET],
  ["/v1/models", GET],
  ["/v1/models/m", GET],
  ["/v1/models/m:predict", "POST"],
  ["/v1/models/m:feedback", "POST"],
  ["/v1/models/m:other", "POST"],
  ["/v2", GET],
  ["/v2/health/live", GET],
  ["/v2/health/ready", GET],
  ["/v2/models/m", GET],
  ["/v2/models/m/ready", GET],
  ["/v2/models/m/infer", "POST"],
  ["/v2/models/m/feedback", "POST"],
  ["/v2/models/m/versions/1", GET],
  ["/v2/models/m/versions/1/ready", GET],
  ["/v2/models/m/versions/1/infer", "POST"],
  ["/v2/models/m/versions/1/feedback", "POST"],
];

describe("Allow", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const dir = await tempDir();
    ({ app } = await serverFor(await saveLayersModel(tinyDense(), dir)));
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(ALLOW.flatMap(([path, allow]) => ["PUT", "PROPFIND", "QUERY"].map((method) => ({ path, allow, method }))))(
    "$method $path → 405, Allow: $allow",
    async ({ path, allow, method }) => {
      const r = await app.inject({ method: method as "PUT", url: `${path}?x=1` });
      expect(r.statusCode).toBe(405);
      expect(r.headers.allow).toBe(allow);
      expect(r.json()).toEqual({
        error: `method ${method} is not allowed here; use ${allow}`,
        code: "LIFTOFF_ERR_METHOD_NOT_ALLOWED",
      });
    },
  );

  it.each(["/", "/v1", "/v2/models", "/v2/models/m/versions", "/v2/models/m/x", "/metrics/x"])(
    "PUT %s → 404",
    async (path) => {
      const r = await app.inject({ method: "PUT", url: path });
      expect(r.statusCode).toBe(404);
      expect(r.headers.allow).toBeUndefined();
      expect(r.json()).toEqual({ error: `no route for PUT ${path}`, code: "LIFTOFF_ERR_ROUTE_NOT_FOUND" });
    },
  );
});
