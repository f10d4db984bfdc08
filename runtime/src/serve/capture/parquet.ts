// Captured rows → one Parquet file, with DuckDB (loaded only by pods that capture). Rows are appended as text into a
// temporary table (never a plaintext file), then cast to the DataSet's column types and pii-protected in the same
// SQL prepare uses (castSql, hmacSql): a hashed value here equals the one prepare writes for the same input and salt.
import path from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { CAPTURE_COLUMNS } from "../../capture/format.js";
import type { CaptureConfig } from "../../contract/capture.js";
import { lockDown, openDuckDB } from "../../prepare/duckdb.js";
import { castSql, hmacSql, ident, lit, parquetWrite } from "../../prepare/sql.js";

/** One row as written: raw values by column, the label (or undefined), the prediction. */
export interface CaptureRow {
  record: Readonly<Record<string, unknown>>;
  label: unknown;
  prediction: string;
  predictionId: string;
  /** Epoch ms. */
  at: number;
}

const text = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === "object" ? JSON.stringify(v) : String(v);

export class ParquetWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
    private readonly select: string,
    private readonly columns: readonly string[],
  ) {}

  /** `salts`: the salt of every column the config hashes. `scratch`: the only folder DuckDB may write. */
  static async open(config: CaptureConfig, salts: ReadonlyMap<string, Buffer>, scratch: string) {
    const { instance, db } = await openDuckDB({ threads: "1", memory_limit: "128MB" });
    await lockDown(db, [scratch]);
    const pii = new Map(config.pii.map((p) => [p.column, p]));
    const select: string[] = [];
    for (const c of config.columns) {
      const p = pii.get(c.name);
      if (p?.action === "drop") continue;
      const typed = castSql(ident(c.name), c.type);
      const salt = salts.get(c.name);
      if (p?.action === "hash" && salt === undefined) throw new Error(`no salt for the hashed column ${c.name}`);
      select.push(`${p?.action === "hash" ? hmacSql(typed, salt as Buffer) : typed} AS ${ident(c.name)}`);
    }
    const t = ident(config.target);
    select.push(`${config.targetType ? castSql(t, config.targetType) : t} AS ${t}`);
    const k = CAPTURE_COLUMNS;
    select.push(
      `${ident(k.prediction)}`,
      `${ident(k.predictionId)}`,
      `epoch_ms(CAST(${ident(k.capturedAt)} AS BIGINT)) AS ${ident(k.capturedAt)}`,
      `${ident(k.track)}`,
      `${ident(k.modelDigest)}`,
    );
    const columns = [
      ...config.columns.map((c) => c.name),
      config.target,
      k.prediction,
      k.predictionId,
      k.capturedAt,
      k.track,
      k.modelDigest,
    ];
    return new ParquetWriter(instance, db, select.join(", "), columns);
  }

  /** Writes the rows to `file` (in scratch) as Parquet. */
  async write(rows: readonly CaptureRow[], track: string, modelDigest: string, file: string): Promise<void> {
    const cols = this.columns.map((c) => `${ident(c)} VARCHAR`).join(", ");
    await this.db.run(`CREATE OR REPLACE TEMP TABLE captured (${cols})`);
    try {
      const app = await this.db.createAppender("captured");
      // The schema columns; then the target and the five capture columns, appended below.
      const fields = this.columns.length - 6;
      for (const r of rows) {
        for (let i = 0; i < fields; i++) {
          const v = text(r.record[this.columns[i] as string]);
          if (v === null) app.appendNull();
          else app.appendVarchar(v);
        }
        const label = text(r.label);
        if (label === null) app.appendNull();
        else app.appendVarchar(label);
        app.appendVarchar(r.prediction);
        app.appendVarchar(r.predictionId);
        app.appendVarchar(String(r.at));
        app.appendVarchar(track);
        app.appendVarchar(modelDigest);
        app.endRow();
      }
      app.closeSync();
      await this.db.run(
        `COPY (SELECT ${this.select} FROM captured) TO ${lit(path.resolve(file))} (${parquetWrite("snappy", 1)})`,
      );
    } finally {
      await this.db.run("DROP TABLE IF EXISTS captured");
    }
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }
}
