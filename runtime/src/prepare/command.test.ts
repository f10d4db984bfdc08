// `prepare` as its Job runs it: an operator report endpoint that cannot be reached is one clear line and a retryable
// exit code, never a stack trace.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ensurePki } from "../../../devcluster/cluster/pki.js";
import { PENGUINS_CSV, PENGUINS_SCHEMA, PENGUINS_TRANSFORMS } from "../../../test/support/dataset.js";
import { tmp } from "../../../test/support/prepare.js";
import { prepareMain } from "./command.js";

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

afterEach(() => vi.restoreAllMocks());

describe("prepare command", () => {
  it("says in one line that the operator's report endpoint is unreachable, and exits 1 to be retried", {
    timeout: 60_000,
  }, async () => {
    const dir = tmp();
    const pki = ensurePki(path.join(dir, "pki"), "10.0.0.1");
    mkdirSync(path.join(dir, "token"));
    writeFileSync(path.join(dir, "token", "token"), "a-projected-token");
    const url = `https://127.0.0.1:${await closedPort()}/v1/report`;
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const code = await prepareMain(["--out", path.join(dir, "out"), "--scratch", path.join(dir, "scratch")], {
      LIFTOFF_DATASET_SPEC: JSON.stringify({
        source: { inline: { data: PENGUINS_CSV } },
        schema: PENGUINS_SCHEMA,
        transforms: PENGUINS_TRANSFORMS,
        output: { claimName: "c", path: "p" },
      }),
      LIFTOFF_REPORT_URL: url,
      LIFTOFF_REPORT_TOKEN_FILE: path.join(dir, "token", "token"),
      LIFTOFF_REPORT_CA: pki.caCert,
    });
    expect(code).toBe(1);
    const text = lines.join("");
    expect(text).toContain(`prepare: cannot report to the operator: cannot reach the operator at ${url}: connect`);
    expect(text).not.toMatch(/\n\s+at /); // no stack frames
    expect(text).not.toContain("internal error");
  });
});
