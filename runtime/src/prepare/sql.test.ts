import { describe, expect, it } from "vitest";
import { megabytes, parquetWrite } from "./sql.js";

describe("sql helpers", () => {
  it("megabytes reads DuckDB memory sizes", () => {
    expect(megabytes("768MB")).toBe(768);
    expect(megabytes("1GB")).toBe(1024);
    expect(megabytes("512 MiB")).toBe(512);
    expect(megabytes("2048kb")).toBe(2);
    expect(() => megabytes("lots")).toThrow(/not a memory size/);
  });

  it("parquetWrite keeps input batches as row groups with several threads, merges with one", () => {
    expect(parquetWrite("snappy", 2)).toBe("FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 0");
    expect(parquetWrite("snappy", 1)).toBe("FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880");
  });
});
