// Regression tests for the data-preparation findings of issue #24 (Hardening), one per finding.
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { prepareInline } from "../../../test/support/prepare.js";
import { type CheckedAddress, parseEgressAllow } from "../net/egress.js";
import { lockDown, openDuckDB } from "./duckdb.js";
import { PrepareError } from "./errors.js";
import { downloadHttp } from "./http-source.js";
import { copyPostgres } from "./postgres-source.js";

/** Local test servers listen on 127.0.0.1, which the egress policy refuses by default: open it explicitly. */
const LOCAL = { egress: parseEgressAllow("127.0.0.1") };

const rows = (n: number, head = "x,y", cell = (i: number) => `${i},${"ab"[i % 2]}`) =>
  `${head}\n${Array.from({ length: n }, (_, i) => cell(i)).join("\n")}\n`;

async function failure(data: string, spec: object): Promise<{ reason: string; message: string }> {
  try {
    await prepareInline(data, spec);
  } catch (err) {
    if (err instanceof PrepareError) return { reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error("expected a PrepareError");
}

describe("issue #24 hardening: prepare", () => {
  it("finding: column names prepare reserves (__row, __key, __sample, __part, …) are refused, not silently overwritten", async () => {
    for (const name of ["__row", "__key", "__sample", "__part", "__nulls", "__c0"]) {
      // In the schema (a local manifest the API server never saw): refused before anything is read.
      const inSchema = await failure(rows(40, `${name},y`), {
        schema: {
          target: "y",
          columns: [
            { name, type: "number" },
            { name: "y", type: "category" },
          ],
        },
      });
      expect(inSchema.reason).toBe("InvalidSpec");
      expect(inSchema.message).toContain(`"${name}"`);
      expect(inSchema.message).toMatch(/reserved/);
      // In the data's header only: a permanent failure naming the column.
      const inData = await failure(
        rows(40, `x,y,${name}`, (i) => `${i},${"ab"[i % 2]},${i * 3}`),
        {
          schema: {
            target: "y",
            columns: [
              { name: "x", type: "number" },
              { name: "y", type: "category" },
            ],
          },
        },
      );
      expect(inData.reason).toBe("SchemaMismatch");
      expect(inData.message).toContain(`"${name}"`);
      expect(inData.message).toMatch(/reserved/);
    }
  });
});

describe("issue #24 hardening: DuckDB", () => {
  it("finding: DuckDB runs without external access or extension autoload, with its configuration locked", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-duck-"));
    const { instance, db } = await openDuckDB({ threads: "1", memory_limit: "128MB" });
    try {
      await db.run(`COPY (SELECT 1 AS a) TO '${dir}/ok.parquet'`);
      await lockDown(db, [dir]);
      const setting = async (name: string) =>
        String((await db.runAndReadAll(`SELECT current_setting('${name}')`)).getRowsJS()[0]?.[0]);
      expect(await setting("autoload_known_extensions")).toBe("false");
      expect(await setting("autoinstall_known_extensions")).toBe("false");
      expect(await setting("enable_external_access")).toBe("false");
      // Allowed folders still work; anything else is refused, and so is changing the configuration.
      expect(
        Number((await db.runAndReadAll(`SELECT count(*) FROM read_parquet('${dir}/ok.parquet')`)).getRowsJS()[0]?.[0]),
      ).toBe(1);
      await expect(db.run("SELECT * FROM read_csv('/etc/hostname')")).rejects.toThrow(/disabled by configuration/);
      await expect(db.run("SELECT * FROM read_csv('http://169.254.169.254/latest')")).rejects.toThrow(/disabled/);
      await expect(db.run("SET enable_external_access = true")).rejects.toThrow(/locked/);
      await expect(db.run("SET memory_limit = '8GB'")).rejects.toThrow(/locked/);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });
});

describe("issue #24 hardening: numbers", () => {
  it("finding: inf / 1e400 in numeric data are a permanent SchemaMismatch naming column and rows, not a crash", async () => {
    const schema = {
      target: "y",
      columns: [
        { name: "x", type: "number" },
        { name: "y", type: "category" },
      ],
    };
    for (const bad of ["inf", "1e400", "-Infinity"]) {
      const data = rows(40, "x,y", (i) => `${i === 7 ? bad : i},${"ab"[i % 2]}`);
      const f = await failure(data, { schema });
      expect(f.reason).toBe("SchemaMismatch");
      expect(f.message).toContain('column "x"');
      expect(f.message).toContain("row 8 (line 9)");
      expect(f.message).toMatch(/finite/);
    }
  });
});

describe("issue #24 hardening: http source", () => {
  it("finding: a retried http download starts a fresh file (no corrupt download) and the cap bounds the file", async () => {
    const body = Buffer.from(`${"0123456789".repeat(8)}\n`); // 81 bytes
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(200, { "content-length": String(body.length) });
      if (calls === 1) {
        // Fails mid-body once: 60 bytes, then the connection drops.
        res.write(body.subarray(0, 60), () => res.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-http-"));
    const file = path.join(dir, "download.csv");
    try {
      const { port } = server.address() as AddressInfo;
      const bytes = await downloadHttp(`http://127.0.0.1:${port}/data.csv`, file, {
        maxBytes: 100,
        backoffMs: 1,
        ...LOCAL,
      });
      expect(calls).toBe(2);
      expect(bytes).toBe(body.length);
      expect(readFileSync(file)).toEqual(body);
    } finally {
      server.close();
    }
  });
});

describe("issue #24 hardening: egress of http sources", () => {
  /** Test names: a public-looking mirror that is this test's server, a name of the private network. */
  const lookup = async (host: string): Promise<CheckedAddress[]> =>
    host === "mirror.test" ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.0.0.12", family: 4 }];

  it.each([
    ["a loopback address", "http://127.0.0.1:9/data.csv", /127\.0\.0\.1 is refused: it is a loopback address/],
    ["the cloud metadata address", "http://169.254.169.254/latest/meta-data/", /it is a cloud metadata address/],
    ["a name resolving to 10.x", "http://files.corp.test/data.csv", /resolves to 10\.0\.0\.12, a private address/],
    ["a .svc name", "http://minio.data.svc:9000/b/data.csv", /a name of the cluster's own network/],
  ])("finding: by default an http source refuses %s (EgressRefused, not retried)", async (_, url, why) => {
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-egress-"));
    const err = await downloadHttp(url, path.join(dir, "d.csv"), { lookup, backoffMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrepareError);
    expect(err).toMatchObject({ reason: "EgressRefused" });
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/ask the cluster admin to add it to the operator's --egress-allow/);
  });

  it("finding: an http source redirected from an allowed host to a refused one fails, without the Location", async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/iam/secret-role" }).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-egress-"));
    try {
      const { port } = server.address() as AddressInfo;
      const err = await downloadHttp(`http://mirror.test:${port}/data.csv`, path.join(dir, "d.csv"), {
        egress: parseEgressAllow("mirror.test"),
        lookup,
        backoffMs: 1,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: "EgressRefused" });
      expect((err as Error).message).toMatch(/data\.csv redirects to a cloud metadata address, which is refused/);
      expect((err as Error).message).not.toMatch(/secret-role|169\.254/);
      expect(calls).toBe(1); // a refusal is not retried
    } finally {
      server.close();
    }
  });
});

describe("issue #24 hardening: postgres source", () => {
  it("finding: the postgres source query runs in a READ ONLY transaction with a statement_timeout", async () => {
    const sent: string[] = [];
    vi.spyOn(pg.Client.prototype, "connect").mockImplementation(async () => undefined);
    vi.spyOn(pg.Client.prototype, "end").mockImplementation(async () => undefined);
    // biome-ignore lint/suspicious/noExplicitAny: a stand-in for the wire protocol
    vi.spyOn(pg.Client.prototype, "query").mockImplementation(((q: any) => {
      if (typeof q === "string") {
        sent.push(q);
        return Promise.resolve({ rows: [] });
      }
      sent.push(`CURSOR ${q.text}`);
      return {
        read: (_n: number, cb: (e: unknown, rows: unknown[][], r: { fields: { name: string }[] }) => void) =>
          cb(undefined, [["1"]], { fields: [{ name: "x" }] }),
        close: async () => undefined,
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above
    }) as any);
    const instance = await DuckDBInstance.create(":memory:");
    const db = await instance.connect();
    try {
      expect(await copyPostgres(db, "postgres://u@127.0.0.1/d", "SELECT 1 AS x", "pg_raw")).toEqual(["x"]);
      expect(sent[0]).toMatch(/^BEGIN (TRANSACTION )?READ ONLY/i);
      expect(sent[1]).toMatch(/^SET LOCAL statement_timeout = '\d+s'$/);
      expect(sent[2]).toBe("CURSOR SELECT 1 AS x");
      expect(sent.at(-1)).toMatch(/^(COMMIT|ROLLBACK)$/);
    } finally {
      vi.restoreAllMocks();
      db.closeSync();
      instance.closeSync();
    }
  });
});
