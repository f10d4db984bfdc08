// hack/device-check.sh's CPU half, run for real (bash, tsx, onnxruntime) on a tiny ONNX model: the side-by-side table,
// and the exit code that tells a GPU path not taken. Its GPU half needs a machine with an NVIDIA GPU (docs/
// modeldeployment.md, "GPU"); here the CUDA provider is absent, which is the fallback path the script must catch.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { allDtypesOnnx } from "../runtime/src/serve/model/onnx-test-model.js";
import { tempDir } from "../runtime/src/serve/test-helpers.js";

const run = (args: string[]) =>
  spawnSync("bash", ["hack/device-check.sh", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    // A private cache: the script must not find (or fill) a real one here.
    env: { ...process.env, LIFTOFF_CACHE: path.join(REPO_ROOT, ".no-such-cache") },
    timeout: 120_000,
  });

const ortDir = path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
const cudaInstalled = existsSync(path.join(ortDir, "bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"));

describe("hack/device-check.sh", () => {
  let model: string;
  beforeAll(async () => {
    model = path.join(await tempDir("liftoff-device-"), "tiny.onnx");
    await writeFile(model, allDtypesOnnx());
  });

  it("--cpu-only measures each model on the CPU and prints the table, exit 0", () => {
    const r = run(["--cpu-only", "--seconds", "0.2", "--batch", "4", "--model", `tiny=${model}`]);
    expect(r.stderr).not.toMatch(/device-bench: /);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^model\s+batch\s+cpu rows\/s\s+cpu p99 ms\s+gpu rows\/s\s+gpu p99 ms\s+gpu\/cpu$/);
    const row = (lines[1] ?? "").split(/\s+/);
    expect(row.slice(0, 2)).toEqual(["tiny", "4"]);
    expect(Number(row[2])).toBeGreaterThan(0);
    expect(Number(row[3])).toBeGreaterThan(0);
    expect(row.slice(4, 7)).toEqual(["-", "-", "-"]);
    expect(lines[2]).toBe("gpu: skipped (--cpu-only)");
  });

  it.skipIf(cudaInstalled)("without the CUDA provider the GPU path is not taken: it says why and exits 1", () => {
    const r = run(["--no-install", "--seconds", "0.2", "--model", `tiny=${model}`]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^gpu: NOT taken \(GPUFallback\)$/m);
    expect(r.stdout).toMatch(/^ {2}tiny: the CUDA execution provider cannot load \(.+\); running on the CPU$/m);
  });

  it.each([
    [["--bogus"], "device-check: unknown argument --bogus (see --help)"],
    [["--model"], "device-check: --model needs name=path"],
    [["--cpu-only", "--model", "noequals"], "device-bench: --model takes name=path, got noequals"],
  ])("refuses %j with exit 2", (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
