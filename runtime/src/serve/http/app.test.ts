import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { errors } from "../../errors.js";
import { saveLayersModel, serverFor, tempDir, tinyDense, twoInTwoOut } from "../test-helpers.js";
import { buildHttpApp } from "./app.js";
import { toRuntimeError } from "./fastify-errors.js";

describe("server", () => {
  it("serves an OpenAPI 3 document listing every V1 and V2 path", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    const r = await app.inject({ url: "/openapi.json" });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/metrics",
        "/v1/models",
        "/v1/models/{name}",
        "/v1/models/{name}:predict",
        "/v1/models/{name}/metadata",
        "/v1/models/{name}/versions/{version}",
        "/v1/models/{name}/versions/{version}/metadata",
        "/v1/models/{name}/versions/{version}:predict",
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/stats",
        "/v2/models/{name}/config",
        "/v2/models/{name}/infer",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/stats",
        "/v2/models/{name}/versions/{version}",
        "/v2/models/{name}/versions/{version}/config",
        "/v2/models/{name}/versions/{version}/infer",
        "/v2/models/{name}/versions/{version}/ready",
        "/v2/models/{name}/versions/{version}/stats",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/v1/models/{name}:predict"] ?? {})).toEqual(["post"]);
    expect(Object.keys(doc.paths["/v1/models/{name}"] ?? {})).toEqual(["get"]);
    await app.close();
  });

  it("answers HEAD on GET routes and sets security headers on every reply", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    const head = await app.inject({ method: "HEAD", url: "/v2/health/live" });
    expect(head.statusCode).toBe(200);
    for (const url of ["/v2", "/metrics", "/nope"]) {
      const r = await app.inject({ url });
      expect(r.headers).toMatchObject({
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
      });
    }
    await app.close();
  });

  it("405 with a true Allow header for every method a path does not serve, unknown ones included", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    for (const [method, url, allow] of [
      ["QUERY", "/v2", "GET, HEAD"],
      ["TRACE", "/v2/models/m/infer", "POST"],
      ["PROPFIND", "/metrics", "GET, HEAD"],
      ["GET", "/v1/models/m:predict", "POST"],
      ["PUT", "/v1/models/m:predict", "POST"],
      ["DELETE", "/v1/models/m", "GET, HEAD"],
      ["HEAD", "/v2/models/m/versions/1/infer", "POST"],
    ] as const) {
      const r = await app.inject({ method: method as "GET", url });
      expect([method, url, r.statusCode, r.headers.allow]).toEqual([method, url, 405, allow]);
      if (method !== "HEAD") expect(r.json().code).toBe("LIFTOFF_ERR_METHOD_NOT_ALLOWED");
    }
    expect((await app.inject({ method: "QUERY" as "GET", url: "/nope" })).statusCode).toBe(404);
    await app.close();
  });

  it("once the model is loaded, /openapi.json describes its exact inputs", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), { maxRequestRows: 2 });
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    const infer = doc.paths["/v2/models/{name}/infer"].post;
    expect(infer.parameters.find((p: { name: string }) => p.name === "name").schema).toEqual({
      type: "string",
      enum: ["m"],
    });
    const body = infer.requestBody.content["application/json"].schema;
    const rows = body.properties.inputs.items.oneOf;
    expect(rows.map((t: { properties: { shape: { enum: number[][] } } }) => t.properties.shape.enum)).toEqual([
      [[1, 3]],
      [[2, 3]],
    ]);
    expect(rows[0].properties.name.enum).toEqual(["dense_input"]);
    expect(rows[0].properties.datatype.enum).toEqual(["FP16", "FP32", "FP64"]);
    const v1 = doc.paths["/v1/models/{name}:predict"].post.requestBody.content["application/json"].schema;
    expect(v1.oneOf).toEqual([{ required: ["instances"] }, { required: ["inputs"] }]);
    expect(v1.properties.instances.oneOf[0]).toMatchObject({
      minItems: 1,
      maxItems: 2,
      items: { minItems: 3, maxItems: 3 },
    });
    expect(Object.keys(infer.responses["200"].content)).toEqual(["application/json", "application/octet-stream"]);
    await app.close();
  });

  it("for a multi-input model, /openapi.json states equal row counts, each input once and each output at most once", async () => {
    const { app } = await serverFor(await saveLayersModel(twoInTwoOut(), await tempDir()), { maxRequestRows: 2 });
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    const body = doc.paths["/v2/models/{name}/infer"].post.requestBody.content["application/json"].schema;
    const shapes = body.oneOf.map((alt: { properties: { inputs: { items: { anyOf: unknown[] } } } }) =>
      alt.properties.inputs.items.anyOf.map(
        (t) => (t as { properties: { shape: { enum: unknown } } }).properties.shape.enum,
      ),
    );
    expect(shapes).toEqual([
      [[[1, 2]], [[1, 4]]],
      [[[2, 2]], [[2, 4]]],
    ]);
    const one = (name: string, min: number) => ({
      contains: { properties: { name: { const: name } }, required: ["name"] },
      minContains: min,
      maxContains: 1,
    });
    expect(body.properties.inputs).toMatchObject({ minItems: 2, maxItems: 2, allOf: [one("a", 1), one("b", 1)] });
    expect(body.properties.outputs.allOf).toEqual([one("sum", 0), one("triple", 0)]);
    await app.close();
  });

  it("maps thrown errors to catalogue errors without internals", () => {
    expect(toRuntimeError(errors.notReady("m"), 10).message).toBe("model 'm' is not ready");
    expect(toRuntimeError(Object.assign(new Error("x"), { code: "FST_ERR_CTP_BODY_TOO_LARGE" }), 10)).toMatchObject({
      statusCode: 413,
      message: "request body is larger than the limit of 10 bytes",
    });
    expect(toRuntimeError(new SyntaxError("Unexpected token } in JSON at position 3"), 10).message).toBe(
      "request body is not valid JSON",
    );
    const internal = toRuntimeError(new Error("ENOENT: /work/secret/path"), 10);
    expect([internal.statusCode, internal.message]).toEqual([500, "internal error; see the server log"]);
  });
});

describe("timeouts", () => {
  it("finding: the HTTP server has request and header timeouts (a slow client is cut off)", async () => {
    const { modelHost } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()));
    const app = await buildHttpApp({
      modelHost,
      limits: { maxRequestRows: 4, bodyLimitBytes: 4096 },
      bodyLimitBytes: 4096,
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      logLevel: "silent",
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as { port: number };
    /** Sends `head` and never finishes; resolves with what the server said and how long it kept the socket. */
    const slow = (head: string) =>
      new Promise<{ said: string; ms: number }>((resolve) => {
        const start = Date.now();
        let said = "";
        const s = connect(port, "127.0.0.1", () => s.write(head));
        s.on("data", (d) => {
          said += d.toString();
        });
        s.on("close", () => resolve({ said, ms: Date.now() - start }));
        setTimeout(() => s.destroy(), 5000);
      });
    try {
      const [headers, body] = await Promise.all([
        slow("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\n"),
        slow("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"),
      ]);
      for (const r of [headers, body]) {
        expect(r.ms).toBeLessThan(4000);
        expect(r.said).toMatch(/^HTTP\/1\.1 408/);
      }
    } finally {
      await app.close();
    }
  });
});
