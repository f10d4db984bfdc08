// Opens the DataSet's source for DuckDB: inline data and http and s3:// downloads become files in scratch, a pvc
// path is read in place, a PostgreSQL query is streamed through a server-side cursor into a DuckDB table (all
// columns as text, cast by the schema check like CSV fields).
import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ObjectStore } from "../storage/object-store.js";
import { PrepareError, PrepareReason, storageFailure } from "./errors.js";
import { downloadHttp, type HttpLimits } from "./http-source.js";
import type { PrepareSecrets } from "./pipeline.js";
import { ONE_SOURCE, type PrepareSpec } from "./spec.js";

export interface LoadedSource {
  /** A file DuckDB reads in the spec's format … */
  file?: string;
  /** … or a table already in DuckDB (postgres), with its column names. */
  table?: string;
  names?: string[];
  /** How error messages name the source (never with credentials). */
  label: string;
}

export interface SourceContext {
  /** Where the source claim is mounted (pvc sources): the path is resolved below it. */
  sourceRoot?: string;
  /** Opens the store of an s3:// URI (s3 sources): its bucket and key. */
  s3?: (uri: string) => Promise<{ store: ObjectStore; key: string }>;
  secrets?: PrepareSecrets;
  http?: Partial<HttpLimits>;
}

const EXT = { csv: "csv", jsonl: "jsonl", parquet: "parquet" } as const;

export function openSource(spec: PrepareSpec, ctx: SourceContext) {
  return async (db: DuckDBConnection, scratch: string): Promise<LoadedSource> => {
    const s = spec.source;
    if (s.inline) {
      const file = path.join(scratch, `inline.${EXT[spec.format]}`);
      await writeFile(file, s.inline.data);
      return { file, label: "the inline data" };
    }
    if (s.pvc) {
      const file = path.join(ctx.sourceRoot ?? ".", s.pvc.path);
      try {
        await access(file);
      } catch {
        throw new PrepareError(
          PrepareReason.SourceUnreachable,
          `${s.pvc.path} does not exist on claim ${s.pvc.claimName}; copy the file there or fix source.pvc.path`,
        );
      }
      return { file, label: `pvc://${s.pvc.claimName}/${s.pvc.path}` };
    }
    if (s.http) {
      const file = path.join(scratch, `download.${EXT[spec.format]}`);
      await downloadHttp(s.http.url, file, ctx.http);
      return { file, label: new URL(s.http.url).origin + new URL(s.http.url).pathname };
    }
    if (s.s3) {
      // Streamed to scratch (verified against the object's sha256 metadata when it has one), then read like a file.
      if (!ctx.s3) throw new PrepareError(PrepareReason.InvalidSpec, "an s3 source needs the storage settings");
      const { store, key } = await ctx.s3(s.s3.uri);
      const file = path.join(scratch, `source.${EXT[spec.format]}`);
      try {
        await store.download(key, file);
      } catch (err) {
        throw storageFailure(err) ?? err;
      }
      return { file, label: s.s3.uri };
    }
    if (s.postgres) {
      if (!ctx.secrets) {
        throw new PrepareError(
          PrepareReason.VaultUnreachable,
          "a postgres source needs Vault for its DSN; set LIFTOFF_VAULT_ADDR",
        );
      }
      const dsn = await ctx.secrets.readKv(s.postgres.dsnSecret.path, s.postgres.dsnSecret.key);
      // Loaded here, not at start: the pg driver adds ~60 ms to every other prepare's start.
      const { copyPostgres } = await import("./postgres-source.js");
      const names = await copyPostgres(db, dsn, s.postgres.query, "pg_raw");
      return { table: "pg_raw", names, label: "the postgres query" };
    }
    throw new PrepareError(PrepareReason.InvalidSpec, ONE_SOURCE);
  };
}
