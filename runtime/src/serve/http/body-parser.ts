/**
 * Request bodies: JSON under any content type (as TF Serving does; curl -d sends
 * form encoding), and the V2 binary tensor data extension: with an
 * Inference-Header-Content-Length header the body is that many bytes of JSON
 * followed by raw tensor bytes, which routes find in `req.binaryPart`.
 * Fastify's bodyLimit has already bounded the whole body, binary part included.
 */
import type { FastifyInstance } from "fastify";
import { errors } from "../../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The bytes after the JSON header when the binary extension was used. */
    binaryPart: Buffer | undefined;
  }
}

export const BINARY_HEADER = "inference-header-content-length";

export function registerBodyParser(app: FastifyInstance): void {
  app.decorateRequest("binaryPart", undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body: Buffer, done) => {
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
    // JSON.parse is enough: request objects are only read, never merged into others.
    try {
      done(null, JSON.parse(json.toString("utf8")));
    } catch {
      done(errors.invalidJson(), undefined);
    }
  });
}
