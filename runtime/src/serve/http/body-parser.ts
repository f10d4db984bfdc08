/**
 * Request bodies: JSON under any content type (as TF Serving does; curl -d sends
 * form encoding), and the V2 binary tensor data extension: with an
 * Inference-Header-Content-Length header the body is that many bytes of JSON
 * followed by raw tensor bytes, which routes find in `req.binaryPart`.
 * Fastify's bodyLimit has already bounded the whole body, binary part included.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The bytes after the JSON header when the binary extension was used. */
    binaryPart: Buffer | undefined;
  }
}

export const BINARY_HEADER = "inference-header-content-length";

/** Deeper JSON is refused before it is parsed: no tensor has more dimensions than this, and a body of nested
 * brackets (10 MB of them fit the default body limit) would otherwise cost the parser hundreds of MB and overflow
 * the stack of whatever walks it (the fault suite's fuzzing found a 500 from tensors.ts, and RSS over 600 MB). */
const MAX_JSON_DEPTH = 64;

/** Whether `json` nests arrays/objects deeper than `max` (brackets inside strings do not count); one linear scan. */
function nestsDeeperThan(json: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function registerBodyParser(app: FastifyInstance): void {
  app.decorateRequest("binaryPart", undefined);
  app.removeAllContentTypeParsers();
  // One parser for every content type. It is also registered under application/json: fastify caches the parser of a
  // content type it found by name, but looks the catch-all up again on every request (a header parse each time).
  const parse: ContentTypeParser = (req, body, done) => {
    let json = body;
    const header = req.headers[BINARY_HEADER];
    if (header !== undefined) {
      if (typeof header !== "string" || !/^\d{1,12}$/.test(header)) {
        return done(errors.badRequest("Inference-Header-Content-Length must be a non-negative integer"), undefined);
      }
      const n = Number(header);
      if (n > body.byteLength) {
        return done(
          errors.badRequest(`Inference-Header-Content-Length is ${n} but the body has only ${body.byteLength} bytes`),
          undefined,
        );
      }
      req.binaryPart = body.subarray(n);
      json = body.subarray(0, n);
    }
    // An empty body reaches the route as undefined: the codecs say "empty", and
    // bodiless DELETE/PUT get their 405 rather than a parse error.
    if (json.byteLength === 0) return done(null, undefined);
    // Nesting deeper than MAX_JSON_DEPTH takes more opening brackets than a shorter body has.
    if (json.byteLength > MAX_JSON_DEPTH && nestsDeeperThan(json, MAX_JSON_DEPTH)) {
      return done(errors.badRequest(`request body nests JSON deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    // JSON.parse is enough: request objects are only read, never merged into others.
    try {
      done(null, JSON.parse(json.toString("utf8")));
    } catch {
      done(errors.invalidJson(), undefined);
    }
  };
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parse);
  app.addContentTypeParser("*", { parseAs: "buffer" }, parse);
}

type ContentTypeParser = (req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void;
