import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, type ErrorCode } from "../../errors.js";
import { TokenSet } from "../auth.js";
import { saveLayersModel, serverFor, tempDir, tinyDense, twoInTwoOut } from "../test-helpers.js";

interface Case {
  name: string;
  server?: "dense" | "multi" | "auth";
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  url: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  error: string;
  /** Defaults to the one code of the status (400: LIFTOFF_ERR_INVALID_INPUT). */
  code?: ErrorCode;
}

const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: "LIFTOFF_ERR_INVALID_INPUT",
  401: "LIFTOFF_ERR_UNAUTHENTICATED",
  405: "LIFTOFF_ERR_METHOD_NOT_ALLOWED",
  413: "LIFTOFF_ERR_PAYLOAD_TOO_LARGE",
};

const P = "/v1/models/m:predict";
const I = "/v2/models/m/infer";
const row = (x: unknown) => ({ name: "dense_input", shape: [1, 3], datatype: "FP32", data: x });

const CASES: Case[] = [
  // transport
  {
    name: "invalid JSON",
    url: P,
    raw: "{nope",
    status: 400,
    error: "request body is not valid JSON",
    code: "LIFTOFF_ERR_INVALID_JSON",
  },
  { name: "empty body", url: P, raw: "", status: 400, error: "request body is empty" },
  {
    name: "body over the limit",
    url: P,
    raw: JSON.stringify({ instances: [new Array(3000).fill(1)] }),
    status: 413,
    error: "request body is larger than the limit of 4096 bytes",
  },
  {
    name: "unknown model (V1)",
    url: "/v1/models/other:predict",
    body: { instances: [[1, 2, 3]] },
    status: 404,
    error: "model 'other' is not served here",
    code: "LIFTOFF_ERR_MODEL_NOT_FOUND",
  },
  {
    name: "unknown model (V2)",
    url: "/v2/models/other/infer",
    body: { inputs: [row([1, 2, 3])] },
    status: 404,
    error: "model 'other' is not served here",
    code: "LIFTOFF_ERR_MODEL_NOT_FOUND",
  },
  {
    name: "unknown version",
    url: "/v2/models/m/versions/9/infer",
    body: { inputs: [row([1, 2, 3])] },
    status: 404,
    error: "model 'm' has no version '9'",
    code: "LIFTOFF_ERR_VERSION_NOT_FOUND",
  },
  {
    name: "unknown route",
    method: "GET",
    url: "/v3/models",
    status: 404,
    error: "no route for GET /v3/models",
    code: "LIFTOFF_ERR_ROUTE_NOT_FOUND",
  },
  {
    name: "unknown V1 verb",
    url: "/v1/models/m:explain",
    body: {},
    status: 404,
    error: "no route for POST /v1/models/m:explain",
    code: "LIFTOFF_ERR_ROUTE_NOT_FOUND",
  },
  { name: "GET on predict", method: "GET", url: P, status: 405, error: "method GET is not allowed here; use POST" },
  {
    name: "PUT on infer",
    method: "PUT",
    url: I,
    body: {},
    status: 405,
    error: "method PUT is not allowed here; use POST",
  },
  {
    name: "DELETE on model metadata",
    method: "DELETE",
    url: "/v2/models/m",
    status: 405,
    error: "method DELETE is not allowed here; use GET, HEAD",
  },
  { name: "POST on /v2", url: "/v2", body: {}, status: 405, error: "method POST is not allowed here; use GET, HEAD" },
  // V1 bodies
  {
    name: "V1 body is an array",
    url: P,
    body: [[1, 2, 3]],
    status: 400,
    error: "request body must be a JSON object with 'instances' or 'inputs'",
  },
  {
    name: "V1 neither instances nor inputs",
    url: P,
    body: {},
    status: 400,
    error: "request must have exactly one of 'instances' or 'inputs'",
  },
  {
    name: "V1 both instances and inputs",
    url: P,
    body: { instances: [[1, 2, 3]], inputs: [[1, 2, 3]] },
    status: 400,
    error: "request must have exactly one of 'instances' or 'inputs'",
  },
  {
    name: "V1 unknown field",
    url: P,
    body: { instances: [[1, 2, 3]], extra: 1 },
    status: 400,
    error: "unknown field 'extra'",
  },
  {
    name: "V1 unknown signature",
    url: P,
    body: { instances: [[1, 2, 3]], signature_name: "predict_v2" },
    status: 400,
    error: "signature_name 'predict_v2' is not served; this model has only 'serving_default'",
    code: "LIFTOFF_ERR_SIGNATURE_NOT_FOUND",
  },
  {
    name: "V1 instances not an array",
    url: P,
    body: { instances: { x: 1 } },
    status: 400,
    error: "'instances' must be an array with one entry per row",
  },
  { name: "V1 empty instances", url: P, body: { instances: [] }, status: 400, error: "'instances' is empty" },
  {
    name: "V1 wrong row width",
    url: P,
    body: { instances: [[1, 2]] },
    status: 400,
    error: "input 'dense_input': shape [1,2] does not match [-1,3] at dimension 1",
  },
  {
    name: "V1 wrong rank",
    url: P,
    body: { instances: [1, 2, 3] },
    status: 400,
    error: "input 'dense_input': shape [3] has rank 1, expected rank 2 [-1,3]",
  },
  {
    name: "V1 ragged rows",
    url: P,
    body: {
      instances: [
        [1, 2, 3],
        [1, 2],
      ],
    },
    status: 400,
    error: "input 'dense_input': ragged or mixed nesting at [1] (expected 3 elements at depth 1)",
  },
  {
    name: "V1 string value",
    url: P,
    body: { instances: [[1, "2", 3]] },
    status: 400,
    error: "input 'dense_input': value at [0,1] is a string, expected a finite number within float32's range",
  },
  {
    name: "V1 null value",
    url: P,
    body: { instances: [[1, null, 3]] },
    status: 400,
    error: "input 'dense_input': value at [0,1] is null, expected a finite number within float32's range",
  },
  {
    name: "V1 infinite value (1e999)",
    url: P,
    raw: '{"instances": [[1, 1e999, 3]]}',
    status: 400,
    error:
      "input 'dense_input': value at [0,1] is a non-finite number, expected a finite number within float32's range",
  },
  {
    name: "V1 too many rows",
    url: P,
    body: {
      instances: [
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ],
    },
    status: 400,
    error: "request has 5 rows, more than the limit of 4",
  },
  {
    name: "V1 bare instances for a two-input model",
    server: "multi",
    url: P,
    body: { instances: [[1, 2]] },
    status: 400,
    error: "this model has 2 inputs; each instance must be an object keyed by 'a', 'b'",
  },
  {
    name: "V1 instance lacks an input",
    server: "multi",
    url: P,
    body: { instances: [{ a: [1, 2] }] },
    status: 400,
    error: "instance 0 lacks input 'b'",
  },
  {
    name: "V1 instance has an unknown input",
    server: "multi",
    url: P,
    body: { instances: [{ a: [1, 2], b: [1, 1, 1, 1], c: 1 }] },
    status: 400,
    error: "instance 0 has unknown input 'c'",
  },
  {
    name: "V1 fractional value for int32 input",
    server: "multi",
    url: P,
    body: { instances: [{ a: [1, 2], b: [1, 1.5, 1, 1] }] },
    status: 400,
    error: "input 'b': value at [0,1] is 1.5, expected an integer in the int32 range",
  },
  {
    name: "V1 columnar row counts differ",
    server: "multi",
    url: P,
    body: {
      inputs: {
        a: [
          [1, 2],
          [3, 4],
        ],
        b: [[1, 1, 1, 1]],
      },
    },
    status: 400,
    error: "input 'b' has 1 rows but 'a' has 2",
  },
  // V2 bodies
  { name: "V2 inputs missing", url: I, body: { id: "x" }, status: 400, error: "'inputs' must be a non-empty array" },
  {
    name: "V2 id not a string",
    url: I,
    body: { id: 5, inputs: [row([1, 2, 3])] },
    status: 400,
    error: "'id' must be a string",
  },
  {
    name: "V2 unknown input name",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3]), name: "x" }] },
    status: 400,
    error: "unknown input 'x'; the model takes 'dense_input'",
  },
  {
    name: "V2 input given twice",
    url: I,
    body: { inputs: [row([1, 2, 3]), row([1, 2, 3])] },
    status: 400,
    error: "input 'dense_input' is given twice",
  },
  {
    name: "V2 unknown datatype",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3]), datatype: "FLOAT" }] },
    status: 400,
    error: "input 'dense_input': unknown datatype 'FLOAT'",
  },
  {
    name: "V2 datatype of another kind",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3]), datatype: "INT32" }] },
    status: 400,
    error: "input 'dense_input': datatype INT32 does not match the model's FP32",
  },
  {
    name: "V2 BYTES",
    url: I,
    body: { inputs: [{ ...row(["a", "b", "c"]), datatype: "BYTES" }] },
    status: 400,
    error: "input 'dense_input': datatype BYTES does not match the model's FP32",
  },
  {
    name: "V2 negative shape",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3]), shape: [-1, 3] }] },
    status: 400,
    error: "input 'dense_input': shape must be an array of non-negative integers",
  },
  {
    name: "V2 data length does not match shape",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3, 4]) }] },
    status: 400,
    error: "input 'dense_input': data has 4 elements but shape [1,3] needs 3",
  },
  {
    name: "V2 shape does not match signature",
    url: I,
    body: { inputs: [{ ...row([1, 2, 3, 4]), shape: [1, 4] }] },
    status: 400,
    error: "input 'dense_input': shape [1,4] does not match [-1,3] at dimension 1",
  },
  {
    name: "V2 data missing",
    url: I,
    body: { inputs: [{ name: "dense_input", shape: [1, 3], datatype: "FP32" }] },
    status: 400,
    error: "input 'dense_input': 'data' is missing",
  },
  {
    name: "V2 boolean in FP32 data",
    url: I,
    body: { inputs: [row([1, true, 3])] },
    status: 400,
    error: "input 'dense_input': data[1] is true, expected a finite number within float32's range",
  },
  {
    name: "V2 zero rows",
    url: I,
    body: { inputs: [{ ...row([]), shape: [0, 3] }] },
    status: 400,
    error: "request has no rows",
  },
  {
    name: "V2 unknown output",
    url: I,
    body: { inputs: [row([1, 2, 3])], outputs: [{ name: "logits" }] },
    status: 400,
    error: "unknown output 'logits'; the model gives 'dense'",
  },
  {
    name: "V2 classification extension (class_count) is refused, not ignored",
    url: I,
    body: { inputs: [row([1, 2, 3])], outputs: [{ name: "dense", parameters: { classification: 2 } }] },
    status: 400,
    error:
      "output 'dense': parameters.classification (class_count) is not supported by this runtime; ask for the output without it and take the top k from its scores",
  },
  {
    name: "V2 int64 out of int32 range",
    server: "multi",
    url: I,
    body: {
      inputs: [
        { name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] },
        { name: "b", shape: [1, 4], datatype: "INT64", data: [1, 1, 1, 2 ** 40] },
      ],
    },
    status: 400,
    error: "input 'b': data[3] is 1099511627776, expected an integer in the int32 range",
  },
  {
    name: "V2 missing one of two inputs",
    server: "multi",
    url: I,
    body: { inputs: [{ name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] }] },
    status: 400,
    error: "input 'b' is missing",
  },
  // auth
  {
    name: "auth: no token",
    server: "auth",
    url: P,
    body: { instances: [[1, 2, 3]] },
    status: 401,
    error: "missing or invalid bearer token",
  },
  {
    name: "auth: wrong token",
    server: "auth",
    url: P,
    body: { instances: [[1, 2, 3]] },
    headers: { authorization: "Bearer wrong" },
    status: 401,
    error: "missing or invalid bearer token",
  },
  {
    name: "auth: wrong scheme",
    server: "auth",
    url: P,
    body: { instances: [[1, 2, 3]] },
    headers: { authorization: "Basic s3cret" },
    status: 401,
    error: "missing or invalid bearer token",
  },
  {
    name: "auth: wrong X-API-Key",
    server: "auth",
    url: P,
    body: { instances: [[1, 2, 3]] },
    headers: { "x-api-key": "wrong" },
    status: 401,
    error: "missing or invalid bearer token",
  },
  {
    name: "auth: metadata needs a token too",
    server: "auth",
    method: "GET",
    url: "/v2/models/m",
    status: 401,
    error: "missing or invalid bearer token",
  },
];

describe("bad requests get exact status codes and JSON errors", () => {
  const servers: Record<string, FastifyInstance> = {};

  beforeAll(async () => {
    const dense = await saveLayersModel(tinyDense(), await tempDir());
    const limits = { maxRequestRows: 4, bodyLimitBytes: 4096 };
    servers.dense = (await serverFor(dense, limits)).app;
    servers.multi = (await serverFor(await saveLayersModel(twoInTwoOut(), await tempDir()), limits)).app;
    servers.auth = (await serverFor(dense, { ...limits, auth: new TokenSet(["s3cret", "other"]) })).app;
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  it("has at least 25 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)("$name → $status", async (c) => {
    const app = servers[c.server ?? "dense"] as FastifyInstance;
    const r = await app.inject({
      method: c.method ?? "POST",
      url: c.url,
      ...(c.raw !== undefined ? { payload: c.raw } : c.body !== undefined ? { payload: JSON.stringify(c.body) } : {}),
      headers: { "content-type": "application/json", ...c.headers },
    });
    expect(r.statusCode).toBe(c.status);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    const code = c.code ?? DEFAULT_CODE[c.status];
    expect(code, "the case names its code").toBeDefined();
    expect(r.json()).toEqual({ error: c.error, code });
    expect(ERROR_CODES[code as ErrorCode].http).toBe(c.status);
    // Security headers on errors too; never a stack trace or a file path.
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.body).not.toMatch(/\\n\s+at |\/work\/|node_modules|\.[jt]s:\d/);
    if (c.status === 405) expect(r.headers.allow).toBeDefined();
    if (c.status === 401) expect(r.headers["www-authenticate"]).toBe('Bearer realm="liftoff"');
  });

  it("auth: a valid token passes; health and metrics stay open", async () => {
    const app = servers.auth as FastifyInstance;
    const ok = await app.inject({
      method: "POST",
      url: P,
      payload: { instances: [[1, 2, 3]] },
      headers: { authorization: "Bearer other" },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const viaHeader = await app.inject({
      method: "POST",
      url: P,
      payload: { instances: [[1, 2, 3]] },
      headers: { "x-api-key": "other" },
    });
    expect(viaHeader.statusCode, viaHeader.body).toBe(200);
    for (const url of ["/v2/health/live", "/v2/health/ready", "/metrics"]) {
      expect((await app.inject({ url })).statusCode).toBe(200);
    }
  });

  it("auth is a pluggable hook: an async authenticator reading another header", async () => {
    const seen: (string | undefined)[] = [];
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), {
      auth: {
        authenticate: async (header) => {
          seen.push(header("x-api-key"));
          return header("x-api-key") === "k1";
        },
      },
    });
    const call = (headers: Record<string, string>) =>
      app.inject({ method: "POST", url: P, payload: { instances: [[1, 2, 3]] }, headers });
    expect((await call({ "x-api-key": "k1" })).statusCode).toBe(200);
    const denied = await call({ "x-api-key": "k2" });
    expect([denied.statusCode, denied.json().code]).toEqual([401, "LIFTOFF_ERR_UNAUTHENTICATED"]);
    expect(seen).toEqual(["k1", "k2"]);
    await app.close();
  });

  it("finding: JSON tensors nested past the rank limit are a 400 naming it, not a 500 (V1 rows and columns, V2 data)", async () => {
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), {
      bodyLimitBytes: 1024 * 1024,
    });
    // 40 levels: past the rank limit (32), under the body parser's bound (64, the next test), so the codecs see it.
    const deep = `${"[".repeat(40)}${"]".repeat(40)}`;
    const tensor = (data: string) => `{"name":"dense_input","shape":[1,3],"datatype":"FP32","data":${data}}`;
    const post = (url: string, payload: string) =>
      app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json" } });
    const limit = "nested more than 32 levels deep (the rank limit is 32)";
    for (const [url, body] of [
      [P, `{"instances":${deep}}`],
      [P, `{"inputs":${deep}}`],
      [P, `{"inputs":{"dense_input":${deep}}}`],
      [I, `{"inputs":[${tensor(deep)}]}`],
    ] as const) {
      const r = await post(url, body);
      expect([r.statusCode, r.json()]).toEqual([
        400,
        { error: `input 'dense_input': ${limit}`, code: "LIFTOFF_ERR_INVALID_INPUT" },
      ]);
    }
    // A V2 shape of more dimensions than that is refused the same way.
    const wide = await post(
      I,
      `{"inputs":[{"name":"dense_input","shape":[${new Array(33).fill(1)}],"datatype":"FP32","data":[1]}]}`,
    );
    expect(wide.json().error).toBe("input 'dense_input': shape has more than 32 dimensions");
    // Deep objects never reach a recursive walk: ignored parameters under the parser's bound stay harmless.
    const deepObject = `${'{"a":'.repeat(60)}1${"}".repeat(60)}`;
    const ok = await post(I, `{"parameters":${deepObject},"inputs":[${tensor("[1,2,3]")}]}`);
    expect(ok.statusCode).toBe(200);
    await app.close();
  });

  it("a bad request does not stop the next good one", async () => {
    const app = servers.dense as FastifyInstance;
    await app.inject({ method: "POST", url: P, payload: "{nope", headers: { "content-type": "application/json" } });
    const r = await app.inject({ method: "POST", url: P, payload: { instances: [[1, 2, 3]] } });
    expect(r.json()).toEqual({ predictions: [[4.5, 4.5]] });
  });

  it("finding: deeply nested JSON gets a 400 before it is parsed, not a 500 from a stack overflow", async () => {
    const dense = await saveLayersModel(tinyDense(), await tempDir());
    const { app } = await serverFor(dense, { maxRequestRows: 4, bodyLimitBytes: 4 * 2 ** 20 });
    const depth = 200_000; // at most 1.2 MB: under the body limit; walking it overflowed the stack in tensors.ts
    for (const [url, payload] of [
      [P, `{"instances":${"[".repeat(depth)}${"]".repeat(depth)}}`],
      [I, `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`],
    ] as const) {
      const r = await app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json" } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toEqual({
        error: "request body nests JSON deeper than 64 levels",
        code: "LIFTOFF_ERR_BAD_REQUEST",
      });
    }
    // Brackets inside strings do not count; a body nested 64 deep is parsed and gets the codec's own answer.
    const inString = await app.inject({
      method: "POST",
      url: I,
      payload: { id: "[{".repeat(100), inputs: [row([1, 2, 3])] },
    });
    expect(inString.statusCode, inString.body).toBe(200);
    const ok = await app.inject({
      method: "POST",
      url: P,
      payload: `{"instances":${"[".repeat(63)}1${"]".repeat(63)}}`,
      headers: { "content-type": "application/json" },
    });
    expect(ok.json().code, ok.body).toBe("LIFTOFF_ERR_INVALID_INPUT");
    await app.close();
  });
});
