import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import { RuntimeMetrics } from "../metrics.js";
import { ModelHost } from "../model-host.js";
import { tempDir } from "../test-helpers.js";
import type { BytesData, LoadedModel, Tensor } from "./loaded-model.js";
import { applyProcessing } from "./processing-files.js";
import { isProcessed } from "./with-processing.js";

/** An inner model taking NCHW [n,3,2,2] pixels (0–255) and scoring each channel by its mean; it records its calls. */
function channelMeans(calls: number[]): LoadedModel {
  return {
    format: "onnx",
    signature: {
      inputs: [{ name: "pixels", dtype: "float32", shape: [-1, 3, 2, 2] }],
      outputs: [{ name: "scores", dtype: "float32", shape: [-1, 3] }],
      batched: true,
    },
    plainJsRows: 0,
    async run([x]) {
      const rows = (x as Tensor).shape[0] as number;
      calls.push(rows);
      const d = (x as Tensor).data as Float32Array;
      const out = new Float32Array(rows * 3);
      for (let i = 0; i < rows * 3; i++) out[i] = d.subarray(i * 4, i * 4 + 4).reduce((s, v) => s + v, 0) / 4;
      return [{ data: out, shape: [rows, 3], dtype: "float32" }];
    },
    dispose() {},
  };
}

const png = (rgb: number[]) =>
  sharp(Buffer.from([...rgb, ...rgb, ...rgb, ...rgb]), { raw: { width: 2, height: 2, channels: 3 } })
    .png()
    .toBuffer();
const sha = (b: string | Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const text = (d: unknown) => (d as BytesData).map((b) => new TextDecoder().decode(b));
const LABELS = "red\ngreen\nblue\n";
const image = {
  width: 2,
  height: 2,
  layout: "NCHW" as const,
  channels: "RGB" as const,
  resize: "nearest" as const,
  crop: "none" as const,
};

async function served(calls: number[], extra: { labelsDigest?: string } = {}) {
  const dir = await tempDir();
  await writeFile(path.join(dir, "labels.txt"), LABELS);
  const loc = { kind: "file" as const, path: path.join(dir, "model.onnx") };
  const spec = {
    preprocessing: { image },
    postprocessing: {
      topK: { k: 2, labels: { path: "labels.txt", digest: extra.labelsDigest ?? sha(LABELS) } },
    },
  };
  return applyProcessing(channelMeans(calls), spec, loc);
}

describe("declared processing around a model", () => {
  it("presents a BYTES input and a BYTES top-k output, and answers files with their labels", async () => {
    const model = await served([]);
    expect(model.signature).toEqual({
      inputs: [{ name: "pixels", dtype: "bytes", shape: [-1] }],
      outputs: [{ name: "scores", dtype: "bytes", shape: [-1, 2] }],
      batched: true,
    });
    const out = await model.run([{ data: [await png([200, 10, 100])], shape: [1] }]);
    expect(text(out[0]?.data)).toEqual(["200.000000:0:red", "100.000000:2:blue"]);
    expect(out[0]?.shape).toEqual([1, 2]);
  });

  it("batches decoded requests, fails only the one with a bad file, and answers class_count", async () => {
    const calls: number[] = [];
    const model = await served(calls);
    if (!isProcessed(model)) throw new Error("expected a processed model");
    expect(model.classifiable).toBe(0);
    const host = new ModelHost({
      name: "m",
      version: "1",
      metrics: new RuntimeMetrics("m"),
      maxBatchSize: 8,
      maxLatencyMs: 50,
    });
    host.attach(model, { name: "cpu", tfjsBackend: "cpu", tfjsVersion: "", libVersion: undefined });
    const req = (files: Uint8Array[]) => ({
      inputs: [{ data: files, shape: [files.length] }],
      rows: files.length,
      batchKey: "",
    });
    const [a, b, bad] = await Promise.allSettled([
      host.infer(req([await png([1, 2, 3]), await png([9, 8, 7])])),
      host.infer({ ...req([await png([0, 50, 0])]), classCount: new Map([[0, 1]]) }),
      host.infer(req([new TextEncoder().encode("GIF89a? no")])),
    ]);
    expect(a.status === "fulfilled" && text(a.value.outputs[0]?.data)).toEqual([
      "3.000000:2:blue",
      "2.000000:1:green",
      "9.000000:0:red",
      "8.000000:1:green",
    ]);
    // class_count 1 on this request: one string.
    expect(b.status === "fulfilled" && text(b.value.outputs[0]?.data)).toEqual(["50.000000:1:green"]);
    expect(bad.status === "rejected" && bad.reason).toBeInstanceOf(RuntimeError);
    expect(bad.status === "rejected" && (bad.reason as RuntimeError).message).toBe(
      "input 'pixels' row 0 is not a JPEG or PNG image",
    );
    // The two good requests went to the model as one batch of three rows (sent as soon as 3 rows were queued).
    expect(calls).toEqual([3]);
  });

  it("refuses a labels file whose digest is not the pinned one, or that leaves the model's folder", async () => {
    await expect(served([], { labelsDigest: sha("other") })).rejects.toThrow(
      `processing file 'labels.txt' has ${sha(LABELS)}, not the pinned ${sha("other")}; refusing to serve`,
    );
    const loc = { kind: "file" as const, path: "/tmp/x/model.onnx" };
    const spec = { postprocessing: { topK: { k: 1, labels: { path: "../labels.txt", digest: sha(LABELS) } } } };
    await expect(applyProcessing(channelMeans([]), spec, loc)).rejects.toThrow(
      "processing file '../labels.txt' must be a plain path inside the model's folder (no '..', not absolute)",
    );
  });

  it("refuses labels that do not match the output's classes", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "labels.txt"), "a\nb\n");
    const spec = { postprocessing: { topK: { k: 1, labels: { path: "labels.txt", digest: sha("a\nb\n") } } } };
    await expect(applyProcessing(channelMeans([]), spec, { kind: "file", path: dir })).rejects.toThrow(
      "postprocessing.topK.labels has 2 lines but output 'scores' has 3 classes",
    );
  });
});
