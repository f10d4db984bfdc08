// Loading a large model (issue #25, items 4 and 5) through ModelHost.load as `serve` does: readiness only after the
// warm-up inference, the memory check, the node cache and the GPU fallback, each against real onnxruntime.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveModelUri } from "../artifact.js";
import { ModelCache } from "../model-cache.js";
import { parseEgressAllow } from "../net/egress.js";
import { RuntimeMetrics } from "./metrics.js";
import { allDtypesOnnx, ELEM, onnxModel } from "./model/onnx-test-model.js";
import { ModelHost, type ModelHostOptions } from "./model-host.js";
import { tempDir } from "./test-helpers.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function host(extra: Partial<ModelHostOptions> = {}): ModelHost {
  return new ModelHost({
    name: "m",
    version: "1",
    metrics: new RuntimeMetrics("m"),
    maxBatchSize: 1,
    maxLatencyMs: 1,
    format: "onnx",
    onnxThreads: 1,
    ...extra,
  });
}

async function modelFile(bytes: Uint8Array): Promise<string> {
  const file = path.join(await tempDir("liftoff-mh-"), "model.onnx");
  await writeFile(file, bytes);
  return file;
}

/**
 * Valid ONNX whose warm-up fails: Expand(x [batch,3], shape int64 [2]) with the warm-up's zeros asks to expand 3
 * columns to 0, which onnxruntime refuses at run time (the session itself builds fine).
 */
const failsWarmUp = () =>
  onnxModel(
    [
      { name: "x", elem: ELEM.float, dims: ["batch", 3] },
      { name: "shape", elem: ELEM.int64, dims: [2] },
    ],
    [{ name: "y", elem: ELEM.float, dims: ["a", "b"] }],
    [{ op: "Expand", inputs: ["x", "shape"], outputs: ["y"] }],
  );

/** Polls until `check` holds (a deadline, not a fixed sleep). */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached before the deadline");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("ModelHost.load: readiness only after the warm-up inference", () => {
  it("stays not ready while the model streams in, and turns ready once loaded and warmed up", async () => {
    const body = Buffer.from(allDtypesOnnx());
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    const server = createServer((_req, res) => {
      started = true;
      res.writeHead(200, { "content-length": body.byteLength });
      res.write(body.subarray(0, 10));
      void held.then(() => res.end(body.subarray(10)));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`;
      const h = host();
      const loading = h.load(resolveModelUri(url, "/mnt/pvc"), sha256(body), "cpu", {
        egress: parseEgressAllow("127.0.0.1"),
      });
      await until(() => started);
      expect(h.ready).toBe(false);
      release();
      const report = await loading;
      expect(h.ready).toBe(true);
      expect(report.digest).toBe(sha256(body));
      h.model?.dispose();
    } finally {
      release();
      server.close();
    }
  });

  it("a model whose warm-up inference fails never turns ready: the load fails with a clear error", async () => {
    const h = host();
    const err = await h.load({ kind: "file", path: await modelFile(failsWarmUp()) }, undefined, "cpu").catch((e) => e);
    expect((err as Error).message).toMatch(/^the ONNX model failed its warm-up inference: /);
    expect(h.ready).toBe(false);
    expect(h.model).toBeUndefined();
  });
});

describe("ModelHost.load: the model's size against the memory limit", () => {
  it("refuses a model that cannot load within the limit, leading with ModelTooLarge and naming the memory to ask for", async () => {
    const h = host({ memoryLimitBytes: 64 * 1024 * 1024 });
    const file = await modelFile(allDtypesOnnx());
    const err = await h.load({ kind: "file", path: file }, undefined, "cpu").catch((e) => e);
    expect((err as Error).message).toMatch(
      /^ModelTooLarge: the model is 0\.0 MiB and needs about 257 MiB to load \(2× the file \+ 256 MiB\), more than the container's memory limit of 64 MiB; raise spec\.resources\.memory to at least 257Mi$/,
    );
    expect(h.ready).toBe(false);
  });

  it("loads when it fits (and with no limit known)", async () => {
    const file = await modelFile(allDtypesOnnx());
    for (const memoryLimitBytes of [512 * 1024 * 1024, undefined]) {
      const h = host({ memoryLimitBytes });
      await h.load({ kind: "file", path: file }, undefined, "cpu");
      expect(h.ready).toBe(true);
      h.model?.dispose();
    }
  });
});

describe("ModelHost.load: the node cache", () => {
  it("a restart (or a second replica) on the node loads a pinned model from the cache even when the source is gone", async () => {
    const bytes = allDtypesOnnx();
    const file = await modelFile(bytes);
    const dir = path.join(path.dirname(file), "cache");
    const first = host({ modelCache: new ModelCache({ dir, maxBytes: 1024 * 1024 }) });
    expect((await first.load({ kind: "file", path: file }, sha256(bytes), "cpu")).cacheHit).toBe(false);
    await rm(file);
    const second = host({ modelCache: new ModelCache({ dir, maxBytes: 1024 * 1024 }) });
    const report = await second.load({ kind: "file", path: file }, sha256(bytes), "cpu");
    expect(report.cacheHit).toBe(true);
    expect(second.ready).toBe(true);
    expect(existsSync(path.join(dir, sha256(bytes), "model.onnx"))).toBe(true);
    first.model?.dispose();
    second.model?.dispose();
  });
});

describe("ModelHost.load: --gpu on a machine without the CUDA provider", () => {
  // onnxruntime-node's npm package leaves the CUDA provider out (its install script fetches it from NuGet); where
  // it is installed (hack/device-check.sh), this machine is not the one this test is about.
  const ortDir = path.dirname(require.resolve("onnxruntime-node/package.json"));
  const cudaInstalled = existsSync(path.join(ortDir, "bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"));

  it.skipIf(cudaInstalled)("falls back to the CPU, says why (GPUFallback), and serves", async () => {
    const h = host({ gpu: true });
    const report = await h.load({ kind: "file", path: await modelFile(allDtypesOnnx()) }, undefined, "cpu");
    expect(report.gpuFallback).toMatch(/^the CUDA execution provider cannot load \(.+\); running on the CPU$/);
    expect(report.backend.tfjsBackend).toBe("cpu");
    // What the pod pushes to the operator (serve/start.ts), which sets Ready's reason GPUFallback.
    expect(h.gpuFallback).toBe(report.gpuFallback);
    expect(h.ready).toBe(true);
    h.model?.dispose();
  });

  it("without --gpu there is no fallback to report", async () => {
    const h = host();
    const report = await h.load({ kind: "file", path: await modelFile(allDtypesOnnx()) }, undefined, "cpu");
    expect(report.gpuFallback).toBeUndefined();
    expect(report.backend.tfjsBackend).toBe("cpu");
    h.model?.dispose();
  });
});
