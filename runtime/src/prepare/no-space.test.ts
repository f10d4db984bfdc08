// A full disk during prepare is said as such (NoSpace), not as bad data or an internal error.
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { checkSchema } from "./check.js";
import { noSpaceError, PrepareError, PrepareReason } from "./errors.js";

const DUCKDB_FULL = 'IO Error: Could not write file "/scratch/duckdb/typed.parquet": No space left on device';

describe("a full disk", () => {
  it("finding: a full scratch volume failed the DataSet as MalformedData — it is NoSpace, naming what was written", async () => {
    // DuckDB's COPY to the scratch Parquet file meets ENOSPC (the fault suite's disk-full fault, on a 1 MiB tmpfs).
    const db = {
      run: () => Promise.reject(new Error(DUCKDB_FULL)),
    } as unknown as DuckDBConnection;
    const raw = { from: "src", names: ["a"], headerLines: 1 };
    const columns = [{ name: "a", type: "number" as const, pii: false }];
    const err = await checkSchema(db, raw, columns, "pvc://data/raw/big.csv", "/scratch/duckdb/typed.parquet", 1).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PrepareError);
    expect((err as PrepareError).reason).toBe(PrepareReason.NoSpace);
    expect((err as PrepareError).message).toBe(
      `no space left on the volume while writing the typed copy of pvc://data/raw/big.csv to scratch (${DUCKDB_FULL}); the data does not fit the prepare pod's scratch or output space`,
    );
  });

  it("is recognised from Node's ENOSPC too, and nothing else is", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    expect(noSpaceError(enospc, "writing the output")?.reason).toBe("NoSpace");
    expect(noSpaceError(new Error("Conversion Error: could not convert"), "x")).toBeUndefined();
    expect(noSpaceError(undefined, "x")).toBeUndefined();
  });
});
