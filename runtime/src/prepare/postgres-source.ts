// A PostgreSQL source: the query runs through a server-side cursor (pg-cursor), 10 000 rows at a time, appended to a
// DuckDB table whose columns are all text, so memory stays flat however many rows the query returns. It runs in a
// READ ONLY transaction with a statement_timeout.
import type { DuckDBConnection } from "@duckdb/node-api";
import pg from "pg";
import Cursor from "pg-cursor";
import { PrepareError, PrepareReason } from "./errors.js";
import { ident } from "./sql.js";

const BATCH = 10_000;
/**
 * The query runs in a READ ONLY transaction (it cannot write, whatever it says; the cursor's extended protocol takes one
 * statement, so it cannot end the transaction either) and each statement (the query, each batch fetch) is cut off
 * after this long.
 */
const STATEMENT_TIMEOUT_S = 600;
const asText = { getTypeParser: () => (value: string) => value };

function where(dsn: string): string {
  try {
    const u = new URL(dsn);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "the server in the DSN";
  }
}

export async function copyPostgres(db: DuckDBConnection, dsn: string, query: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new PrepareError(
      PrepareReason.SourceUnreachable,
      `cannot connect to PostgreSQL at ${where(dsn)}: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  try {
    try {
      await client.query("BEGIN TRANSACTION READ ONLY");
      await client.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT_S}s'`);
    } catch (err) {
      throw new PrepareError(
        PrepareReason.SourceUnreachable,
        `cannot start a read-only transaction on PostgreSQL at ${where(dsn)}: ${(err as Error).message.slice(0, 200)}`,
      );
    }
    const cursor = client.query(new Cursor(query, [], { rowMode: "array", types: asText }));
    let names: string[] | undefined;
    let appender: Awaited<ReturnType<DuckDBConnection["createAppender"]>> | undefined;
    for (;;) {
      let rows: unknown[][];
      let fields: { name: string }[];
      try {
        ({ rows, fields } = await new Promise<{ rows: unknown[][]; fields: { name: string }[] }>((resolve, reject) =>
          cursor.read(BATCH, (err, r, result) =>
            err ? reject(err) : resolve({ rows: r as unknown[][], fields: result.fields }),
          ),
        ));
      } catch (err) {
        const e = err as Error & { code?: string };
        const why =
          e.code === "25006"
            ? "it tries to write, and the source runs read-only"
            : e.code === "57014"
              ? `a statement ran past the ${STATEMENT_TIMEOUT_S} s statement_timeout`
              : e.message.slice(0, 300);
        throw new PrepareError(
          PrepareReason.QueryFailed,
          `the postgres query failed: ${why}; fix source.postgres.query`,
        );
      }
      if (!names) {
        names = fields.map((f) => f.name);
        await db.run(`CREATE TABLE ${ident(table)} (${names.map((n) => `${ident(n)} VARCHAR`).join(", ")})`);
        appender = await db.createAppender(table);
      }
      const a = appender as NonNullable<typeof appender>;
      for (const row of rows) {
        for (const v of row) {
          if (v === null || v === undefined) a.appendNull();
          else a.appendVarchar(String(v));
        }
        a.endRow();
      }
      if (rows.length < BATCH) break;
    }
    appender?.flushSync();
    appender?.closeSync();
    await cursor.close();
    await client.query("COMMIT");
    return names ?? [];
  } finally {
    await client.end().catch(() => undefined);
  }
}
