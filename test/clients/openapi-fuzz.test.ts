/**
 * The published contract is true: schemathesis (PyPI), every check, fuzzes a real
 * runtime process from its own /openapi.json with the served model's name and
 * version as path parameters (schemathesis.toml), and must find nothing: no
 * schema-valid request refused, no schema-violating one accepted, no 5xx, a 405
 * with a true Allow header for every undeclared method, responses as documented.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveLayersModel, tempDir, tinyDense } from "../../runtime/src/serve/test-helpers.js";
import { python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

describe("schemathesis against a real runtime process", { timeout: 300_000 }, () => {
  let py: string;
  let rt: RuntimeProcess;

  beforeAll(async () => {
    const dir = await tempDir();
    await saveLayersModel(tinyDense(), dir);
    // A small row limit keeps the exact V2 schema (one alternative per row count) small.
    [py, rt] = await Promise.all([venvPython(), startRuntime(dir, ["--max-request-rows", "4"])]);
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("finds zero failures with all checks", async () => {
    const cli = py.replace(/python$/, "schemathesis");
    let out: string;
    try {
      out = await python(
        cli,
        [
          "--config-file",
          path.join(ROOT, "test/clients/schemathesis.toml"),
          "run",
          `http://${rt.http}/openapi.json`,
          "--checks",
          "all",
          "--max-examples",
          "25",
          "--seed",
          "1",
          "--no-color",
          "--generation-database",
          "none",
        ],
        "",
        // schemathesis keeps state in .schemathesis/ of its working directory: a scratch one.
        await tempDir(),
      );
    } catch (err) {
      // schemathesis exits non-zero on any failure; its report is in the message.
      throw new Error((err as Error).message.slice(-6000));
    }
    expect(out).toMatch(/No issues found/);
    const m = /(\d+) generated, (\d+) passed/.exec(out);
    expect(Number(m?.[1])).toBeGreaterThan(500);
    expect(m?.[2]).toBe(m?.[1]);
  });
});
