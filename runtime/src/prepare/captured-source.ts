// source.captured: the traffic a ModelDeployment captured (runtime/src/capture/format.ts) as rows of the DataSet.
// The versions younger than maxAgeHours are verified against their manifests and decrypted into scratch (the pod
// unwraps their data keys with its own Vault role), then read as one relation with the schema's columns — a column
// the capture lacks is NULL, the capture's own __* columns are left out — and, when `labelled`, only the rows whose
// feedback label arrived. The relation is UNIONed with the primary source before the schema check and cleaning;
// its rows carry __source = 'captured', so hashPII leaves them as they are: the serving pod already hashed them with
// the same salt (clean.ts).
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  CaptureFormatError,
  type CaptureVersion,
  listCaptureVersions,
  listCaptureVersionsS3,
  openCaptureVersion,
  openCaptureVersionS3,
  type Unwrap,
} from "../capture/format.js";
import type { CapturedSourceEnv } from "../contract/dataset.js";
import { isS3Uri } from "../s3-uri.js";
import type { ObjectStore } from "../storage/object-store.js";
import { CAPTURED, SOURCE_COLUMN } from "./clean.js";
import { PrepareError, PrepareReason, storageFailure } from "./errors.js";
import type { RawRelation } from "./read.js";
import type { CapturedSpec, PrepareSpec } from "./spec.js";
import { ident, lit } from "./sql.js";

export interface CapturedContext {
  /** LIFTOFF_CAPTURED_SOURCE: where the operator says the capture is. */
  resolved: CapturedSourceEnv;
  /** Unwraps an encrypted version's data key (Vault transit); undefined without Vault. */
  unwrap?: Unwrap | undefined;
  /** Opens the store of an s3:// capture root. */
  s3?: ((uri: string) => Promise<{ store: ObjectStore; key: string }>) | undefined;
  now?: Date;
}

export interface LoadedCaptured {
  /** Verified plaintext records.parquet files in scratch, oldest version first. */
  files: string[];
  /** Versions the serving pods pruned (retention, maxBytes) between the listing and their reading: skipped. */
  pruned: number;
  /** How messages name it. */
  label: string;
}

/** Reads every version younger than maxAgeHours into scratch, verified and decrypted; a bad one fails the run. */
export async function loadCaptured(spec: CapturedSpec, ctx: CapturedContext, scratch: string): Promise<LoadedCaptured> {
  const { resolved } = ctx;
  const label = `the traffic ModelDeployment ${resolved.modelDeployment} captured (${resolved.uri})`;
  const dir = path.join(scratch, "captured");
  const cutoff = (ctx.now ?? new Date()).getTime() - spec.maxAgeHours * 3_600_000;
  const unwrap: Unwrap =
    ctx.unwrap ??
    (async (transitKey) => {
      throw new PrepareError(
        PrepareReason.VaultUnreachable,
        `${label} is encrypted with transit key ${transitKey}, but the prepare pod has no Vault (set LIFTOFF_VAULT_ADDR, or run the operator with --vault-addr)`,
      );
    });
  let list: () => Promise<CaptureVersion[]>;
  let open: (v: CaptureVersion) => Promise<string>;
  try {
    if (isS3Uri(resolved.root)) {
      if (!ctx.s3)
        throw new PrepareError(PrepareReason.InvalidSpec, `${label}: an s3:// capture needs the storage settings`);
      const { store, key } = await ctx.s3(resolved.root);
      list = () => listCaptureVersionsS3(store, key);
      open = (v) => openCaptureVersionS3(store, v, unwrap, dir);
    } else {
      list = () => listCaptureVersions(resolved.root);
      open = (v) => openCaptureVersion(v, unwrap, dir);
    }
    const files: string[] = [];
    let pruned = 0;
    for (const v of (await list()).filter((x) => x.at.getTime() >= cutoff)) {
      try {
        files.push(await open(v));
      } catch (err) {
        // The serving pods prune while this reads (the oldest versions go first): a version gone from the listing
        // was deleted, not damaged. One still listed that does not verify is refused below.
        const gone =
          err instanceof CaptureFormatError && !(await list()).some((x) => x.pod === v.pod && x.name === v.name);
        if (!gone) throw err;
        pruned++;
      }
    }
    return { files, pruned, label };
  } catch (err) {
    if (err instanceof CaptureFormatError) {
      throw new PrepareError(
        PrepareReason.MalformedData,
        `${label}: ${err.message}; delete that version folder (or fix it) and run the DataSet again`,
      );
    }
    throw storageFailure(err) ?? err;
  }
}

/**
 * The captured rows as SQL: the schema's columns as text (cast back to their types by the schema check, like CSV
 * fields; NULL where the capture has no such column) and __source, only labelled rows when asked.
 */
export async function capturedSql(db: DuckDBConnection, loaded: LoadedCaptured, spec: PrepareSpec): Promise<string> {
  const from = `read_parquet([${loaded.files.map(lit).join(", ")}], union_by_name=true)`;
  let names: Set<string>;
  try {
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    names = new Set(described.getRowObjectsJS().map((r) => String(r.column_name)));
  } catch (err) {
    const first = (err as Error).message.split("\n")[0] ?? "";
    throw new PrepareError(PrepareReason.MalformedData, `${loaded.label}: cannot read its records: ${first}`);
  }
  const cols = spec.schema.columns.map((c) =>
    names.has(c.name)
      ? `CAST(${ident(c.name)} AS VARCHAR) AS ${ident(c.name)}`
      : `CAST(NULL AS VARCHAR) AS ${ident(c.name)}`,
  );
  const target = spec.schema.target;
  const where =
    spec.source.captured?.labelled === false
      ? ""
      : ` WHERE ${names.has(target) ? `${ident(target)} IS NOT NULL` : "false"}`;
  return `SELECT ${cols.join(", ")}, ${lit(CAPTURED)} AS ${SOURCE_COLUMN} FROM ${from}${where}`;
}

/**
 * The raw relation prepare checks and cleans: the primary source's schema columns (as text, so both sides have one
 * type) followed by the captured rows, or the captured rows alone. Primary rows come first, so their row numbers —
 * and with them their split — are those of a run without captured traffic.
 */
export function mergedRelation(
  primary: RawRelation | undefined,
  captured: string | undefined,
  spec: PrepareSpec,
): RawRelation {
  const parts: string[] = [];
  if (primary) {
    const cols = spec.schema.columns.map((c) => `CAST(${ident(c.name)} AS VARCHAR) AS ${ident(c.name)}`);
    parts.push(`SELECT ${cols.join(", ")}, 'primary' AS ${SOURCE_COLUMN} FROM ${primary.from}`);
  }
  if (captured) parts.push(captured);
  if (parts.length === 0) {
    // Nothing captured and no other source: said by the caller with the capture's label.
    throw new Error("mergedRelation needs a primary source or captured rows");
  }
  return {
    from: `(${parts.join(" UNION ALL ")})`,
    names: [...spec.schema.columns.map((c) => c.name), SOURCE_COLUMN],
    headerLines: primary?.headerLines ?? 0,
    carry: [SOURCE_COLUMN],
  };
}
