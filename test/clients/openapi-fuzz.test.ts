/**
 * The published contract is true: schemathesis (PyPI), every check, fuzzes a real
 * runtime process from its own /openapi.json with the served model's name and
 * version as path parameters (schemathesis.toml), and must find nothing: no
 * schema-valid request refused, no schema-violating one accepted, no 5xx, a 405
 * with a true Allow header for every undeclared method, responses as documented.
 * Once per model kind: one input, two inputs with two outputs (equal row
 * counts, each input once, each output at most once are in the schema too),
 * and an ONNX model with an input of each dtype (FP32, INT64, UINT8, INT8, BOOL: their ranges are in the schema).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allDtypesOnnx } from "../../runtime/src/serve/model/onnx-test-model.js";
import { saveLayersModel, tempDir, tinyDense } from "../../runtime/src/serve/test-helpers.js";
import { python, ROOT, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

/**
 * a [-1,2] and b [-1,4] (both float32) concatenated into sum [-1,1] and triple [-1,3]. Not test-helpers'
 * twoInTwoOut: its int32 input feeds an embedding, so ids outside 0..9 fail inside the model (a 500 no schema of
 * the signature can rule out).
 */
function twoFloatInputs(): tf.LayersModel {
  const a = tf.input({ shape: [2], name: "a" });
  const b = tf.input({ shape: [4], name: "b" });
  const both = tf.layers.concatenate({ name: "concat" }).apply([a, b]) as tf.SymbolicTensor;
  const sum = tf.layers.dense({ units: 1, name: "sum", kernelInitializer: "ones", useBias: false }).apply(both);
  const triple = tf.layers.dense({ units: 3, name: "triple", kernelInitializer: "ones", useBias: false }).apply(both);
  return tf.model({ inputs: [a, b], outputs: [sum as tf.SymbolicTensor, triple as tf.SymbolicTensor] });
}

/** Each model kind, written into a folder: the --model-uri to serve it from. */
const MODELS: Record<string, (dir: string) => Promise<string>> = {
  "one input": (dir) => saveLayersModel(tinyDense(), dir).then(() => dir),
  "two inputs, two outputs": (dir) => saveLayersModel(twoFloatInputs(), dir).then(() => dir),
  // Echoing every input: an int64 doubled past 2^53 is refused as JSON output (ask for binary), which no request
  // schema can rule out; a float doubled past float32's range would be Infinity.
  "onnx, every dtype": async (dir) => {
    const file = path.join(dir, "model.onnx");
    await writeFile(file, allDtypesOnnx("Identity"));
    return file;
  },
};

describe.each(Object.entries(MODELS))(
  "schemathesis against a real runtime process (%s)",
  { timeout: 300_000 },
  (_, make) => {
    let py: string;
    let rt: RuntimeProcess;

    beforeAll(async () => {
      const uri = await make(await tempDir());
      // A small row limit keeps the exact V2 schema (one alternative per row count) small.
      [py, rt] = await Promise.all([venvPython(), startRuntime(uri, ["--max-request-rows", "4"])]);
    }, 600_000);
    afterAll(async () => {
      await rt?.stop();
    });

    it("finding: a schema-valid V2 request is never refused (shape [0, 0] with data [] was allowed, then 400): zero failures with all checks", async () => {
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
  },
);
