// An ONNX pod's start never loads TF.js: importing it took 1.5-3 s of every ONNX pod's cold start (bench:coldstart,
// docs/performance.md "Cold start on the cluster"), for a library such a pod never calls. Checked in a fresh process,
// since this test runner's own workers may have TF.js loaded by other tests.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");

/** `serve` on an ONNX file in a child process; prints whether TF.js's engine global exists once the model is ready. */
const CHILD = `
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
const { allDtypesOnnx } = await import(${JSON.stringify(path.join(HERE, "model/onnx-test-model.ts"))});
const { startServe } = await import(${JSON.stringify(path.join(HERE, "start.ts"))});
const dir = mkdtempSync(path.join(tmpdir(), "liftoff-onnx-start-"));
const file = path.join(dir, "model.onnx");
writeFileSync(file, allDtypesOnnx());
const s = await startServe(
  ["--model-uri", file, "--model-name", "m", "--model-format", "onnx", "--host", "127.0.0.1", "--port", "0", "--log-level", "silent"],
  {},
);
await s.loaded;
const ready = s.modelHost.ready;
const tfjs = typeof globalThis._tfengine !== "undefined";
await s.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ ready, tfjs }));
process.exit(0);
`;

describe("serve --model-format onnx", () => {
  it("loads, warms up and turns ready without ever importing TF.js", { timeout: 60_000 }, async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", CHILD],
        { cwd: ROOT },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(JSON.parse(out)).toEqual({ ready: true, tfjs: false });
  });
});
