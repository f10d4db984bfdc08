// DuckDB for prepare, locked down (issue #24): no extension is installed or loaded on demand (the readers prepare
// uses are built in), file access is limited to the folders the run needs (source, scratch, output), and the
// configuration is locked so no statement can undo either.
import path from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { lit } from "./sql.js";

export async function openDuckDB(options: Record<string, string>) {
  const instance = await DuckDBInstance.create(":memory:", {
    ...options,
    autoload_known_extensions: "false",
    autoinstall_known_extensions: "false",
  });
  return { instance, db: await instance.connect() };
}

/** Limits file access to `dirs` (and their subfolders) and turns off every other external access (http, s3, …). */
export async function restrictFiles(db: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  const list = dirs.map((d) => path.resolve(d)).map((d) => lit(d.endsWith("/") ? d : `${d}/`));
  await db.run(`SET allowed_directories = [${list.join(", ")}]`);
  await db.run("SET enable_external_access = false");
}

/** restrictFiles, then locks the configuration: no later statement can change a setting. */
export async function lockDown(db: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  await restrictFiles(db, dirs);
  await lockConfiguration(db);
}

export const lockConfiguration = (db: DuckDBConnection) => db.run("SET lock_configuration = true");
