// The `liftoff` Python package (python/liftoff, docs/pytorch.md) and examples/pytorch/penguins_ddp.py: their
// unittest suite (python/tests) run by the Python of hack/pytorch-venv.sh, which `hack/setup.ts test` builds (a
// first run here builds it: about 10 s on top of the torch venv). The suite writes a real penguins version with the
// runtime's `prepare`, reads it, checkpoints, exports to ONNX and checks it in onnxruntime, and trains on two
// processes over gloo on localhost (torch.multiprocessing and torchrun).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hackScriptLines, ROOT } from "../clients/support.js";

const TESTS = path.join(ROOT, "python/tests");

/** Runs the whole suite once; resolves with its exit code and its combined output. */
function unittest(py: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(py, ["-m", "unittest", "discover", "-v", "-s", TESTS, "-t", path.join(ROOT, "python")], {
      cwd: ROOT,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", OMP_NUM_THREADS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const add = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("the liftoff Python package (python/tests, unittest)", () => {
  let run: { code: number | null; output: string };
  beforeAll(async () => {
    const [py] = await hackScriptLines("hack/pytorch-venv.sh");
    run = await unittest(py as string);
  }, 600_000);

  it("passes every test", () => {
    // "OK (skipped=1)" would not match: the venv is built by setup, so nothing may skip.
    expect(run.output).toMatch(/\nOK\n/);
    expect(run.code, run.output.slice(-4000)).toBe(0);
  });

  it("ran tests from every test module (none failed to import or was skipped)", () => {
    const modules = readdirSync(TESTS)
      .filter((f) => /^test_.*\.py$/.test(f))
      .map((f) => f.replace(/\.py$/, ""));
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules)
      expect(run.output, m).toMatch(new RegExp(`\\(tests\\.${m}\\.\\w+\\.\\w+\\)[^\\n]*\\.\\.\\. ok`));
    expect(run.output).not.toMatch(/\.\.\. skipped|^(FAIL|ERROR):/m);
  });
});
