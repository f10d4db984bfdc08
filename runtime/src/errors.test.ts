import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, errors, GrpcStatus } from "./errors.js";

const grpcName = (n: number) => Object.entries(GrpcStatus).find(([, v]) => v === n)?.[0];

describe("error catalogue", () => {
  it("docs/runtime.md lists every code with its HTTP and gRPC status, and no other", async () => {
    const doc = await readFile(new URL("../../docs/runtime.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| `(LIFTOFF_ERR_\w+)` *\| (\d+) *\| `(\w+)` *\|/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    const expected = Object.entries(ERROR_CODES).map(([code, s]) => [code, String(s.http), grpcName(s.grpc)]);
    expect(rows).toEqual(expected);
  });

  it("every catalogue entry carries its code and serialises to the documented body", () => {
    const e = errors.versionNotFound("m", "9");
    expect([e.statusCode, e.grpcStatus, e.code]).toEqual([404, GrpcStatus.NOT_FOUND, "LIFTOFF_ERR_VERSION_NOT_FOUND"]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      error: "model 'm' has no version '9'",
      code: "LIFTOFF_ERR_VERSION_NOT_FOUND",
    });
  });
});
