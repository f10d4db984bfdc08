// `auto`'s choice remembered in the node's model cache (issue #31): a second start of the same model on the same
// node skips the probe, initialises the remembered backend and still loads and warms the model up before Ready.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ModelCache } from "../../model-cache.js";
import { RuntimeMetrics } from "../metrics.js";
import { ModelHost } from "../model-host.js";
import { saveLayersModel, tempDir, tinyDense, tinyDenseExpected } from "../test-helpers.js";
import { probeKey, recallProbe, rememberProbe } from "./probe-cache.js";

const DIGEST = "a".repeat(64);

describe("probeKey", () => {
  it("changes with the model, the rows probed and the TF.js version, and only with what it is given", () => {
    const k = probeKey(DIGEST, 1, "4.22.0");
    expect(probeKey(DIGEST, 1, "4.22.0")).toBe(k);
    expect(probeKey("b".repeat(64), 1, "4.22.0")).not.toBe(k);
    expect(probeKey(DIGEST, 32, "4.22.0")).not.toBe(k);
    expect(probeKey(DIGEST, 1, "4.21.0")).not.toBe(k);
  });
});

describe("recallProbe / rememberProbe", () => {
  it("round-trips the answer and treats a damaged or foreign record as a miss", async () => {
    const dir = await tempDir("liftoff-probe-");
    expect(await recallProbe(dir, "k")).toBeUndefined();
    const chosen = { name: "wasm" as const, tfjsBackend: "wasm", tfjsVersion: "4.22.0", libVersion: undefined };
    await rememberProbe(dir, "k", { chosen, timings: { wasm: 40, tensorflow: 300 }, skipped: { cpu: "not measured" } });
    expect(await recallProbe(dir, "k")).toEqual({
      chosen: "wasm",
      timings: { wasm: 40, tensorflow: 300 },
      skipped: { cpu: "not measured" },
    });
    await writeFile(path.join(dir, "backend-probes", "k.json"), "{not json");
    expect(await recallProbe(dir, "k")).toBeUndefined();
    await writeFile(
      path.join(dir, "backend-probes", "k.json"),
      JSON.stringify({ chosen: "webgl", timings: {}, skipped: {} }),
    );
    expect(await recallProbe(dir, "k")).toBeUndefined();
  });
});

describe("ModelHost.load with --model-cache and backend auto", () => {
  it("probes on the first start, remembers the choice, and the next start loads on it without probing", async () => {
    const modelDir = await tempDir("liftoff-probe-model-");
    await saveLayersModel(tinyDense(), modelDir);
    const cacheDir = await tempDir("liftoff-probe-cache-");
    const start = async () => {
      const host = new ModelHost({
        name: "m",
        version: "1",
        metrics: new RuntimeMetrics("m"),
        maxBatchSize: 1,
        maxLatencyMs: 0,
        modelCache: new ModelCache({ dir: cacheDir, maxBytes: 1e9 }),
      });
      const report = await host.load({ kind: "file", path: modelDir }, undefined, "auto");
      const out = await host.model?.run([{ data: new Float32Array([1, 2, 3]), shape: [1, 3] }]);
      return { report, answer: Array.from(out?.[0]?.data as Float32Array) };
    };
    const first = await start();
    expect(first.report.probe?.remembered).toBeUndefined();
    expect(Object.keys(first.report.probe?.timings ?? {}).length).toBeGreaterThan(0);
    expect(await readdir(path.join(cacheDir, "backend-probes"))).toHaveLength(1);
    const second = await start();
    expect(second.report.probe?.remembered).toBe(true);
    expect(second.report.backend.name).toBe(first.report.backend.name);
    expect(second.report.probe?.timings).toEqual(first.report.probe?.timings);
    // Ready still means the model answers: loaded and run on the remembered backend.
    expect(second.answer).toEqual(tinyDenseExpected([1, 2, 3]));
  });
});
