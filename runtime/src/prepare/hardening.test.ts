// Regression tests for the data-preparation findings of issue #24 (Hardening), one per finding.
import { describe, expect, it } from "vitest";
import { prepareInline } from "../../../test/support/prepare.js";
import { PrepareError } from "./errors.js";

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
