// The training path end to end on small seeded fixtures: data order, reproducibility, resume, checkpoints, NaN.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobs, writeDataSetFixture } from "../../../test/support/dataset-fixture.js";
import type { PreprocessingJson } from "../contract/artifacts.js";
import { restoreCheckpoint } from "./checkpoint.js";
import { parseTrainArgs, runTrain, type TrainOutcome, trainMain } from "./command.js";
import { openSplit } from "./data.js";
import { buildStack, headFor } from "./layers.js";
import type { Progress } from "./trainer.js";

let root: string;
let data: string;
let regression: string;
const quiet = { log: () => {}, progress: () => {} };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "liftoff-train-"));
  data = path.join(root, "blobs");
  regression = path.join(root, "reg");
  await writeDataSetFixture(data, blobs(400, 4, 3));
  await writeDataSetFixture(regression, blobs(300, 4, 0));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const jobFile = async (name: string, hyperparameters: Record<string, unknown>, task = "multiclass") => {
  const file = path.join(root, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      kind: "TrainingJob",
      metadata: { name },
      spec: {
        dataSetRef: { name: "blobs" },
        task,
        model: {
          layers: [
            { type: "dense", units: 8, activation: "relu" },
            { type: "dropout", rate: 0.2 },
          ],
        },
        hyperparameters: {
          learningRate: 0.02,
          epochs: 3,
          batchSize: 32,
          metrics: ["accuracy"],
          seed: 5,
          ...hyperparameters,
        },
      },
    }),
  );
  return file;
};

async function trainOnce(name: string, extra: string[] = [], hp: Record<string, unknown> = {}, dir = data) {
  const args = await parseTrainArgs(
    ["--spec", await jobFile(name, hp), "--data", dir, "--out", path.join(root, name), ...extra],
    {},
  );
  return runTrain(args, {}, quiet);
}

const weightsOf = async (o: TrainOutcome) =>
  createHash("sha256")
    .update(await readFile(path.join(o.model.dir, "weights.bin")))
    .digest("hex");

describe("train", { timeout: 60_000 }, () => {
  it("streams every row once per epoch in an order fixed by (seed, epoch), in memory or not", async () => {
    const pre = JSON.parse(await readFile(path.join(data, "preprocessing.json"), "utf8")) as PreprocessingJson;
    const mem = await openSplit(data, "train", pre, { seed: 1, cacheBytes: 1 << 30, shuffleBuffer: 64 });
    const streamed = await openSplit(data, "train", pre, { seed: 1, cacheBytes: 0, shuffleBuffer: 64 });
    const order = async (s: typeof mem, epoch: number, skip = 0) => {
      const ys: number[] = [];
      const firsts: number[] = [];
      for await (const b of s.batches(epoch, 32, skip)) {
        for (let i = 0; i < b.n; i++) firsts.push(b.x[i * 4] as number);
        ys.push(...b.y);
      }
      return firsts;
    };
    for (const s of [mem, streamed]) {
      const e0 = await order(s, 0);
      expect(e0).toHaveLength(s.rows);
      const all: number[] = [];
      for await (const c of s.scan()) for (let i = 0; i < c.n; i++) all.push(c.x[i * 4] as number);
      expect([...e0].sort()).toEqual([...all].sort());
      expect(await order(s, 0)).toEqual(e0);
      expect(await order(s, 1)).not.toEqual(e0);
      expect(await order(s, 0, 3)).toEqual(e0.slice(3 * 32));
    }
  });

  it("is reproducible: same seed, same weights; and learns the blobs", async () => {
    const a = await trainOnce("rep-a");
    const b = await trainOnce("rep-b");
    const c = await trainOnce("rep-c", [], { seed: 6 });
    expect(await weightsOf(a)).toBe(await weightsOf(b));
    expect(await weightsOf(c)).not.toBe(await weightsOf(a));
    expect(a.finalMetrics.accuracy).toBeGreaterThan(0.8); // chance is 1/3
    expect(a.epochs).toBe(3);
  });

  it("reports the per-epoch history with its progress and keeps every epoch in liftoff.json", async () => {
    const reports: Progress[] = [];
    const args = await parseTrainArgs(
      ["--spec", await jobFile("hist", {}), "--data", data, "--out", path.join(root, "hist")],
      {},
    );
    const o = await runTrain(args, {}, { log: () => {}, progress: (p: Progress) => void reports.push(p) });
    const last = reports.at(-1);
    expect(last?.history?.epochs.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(Object.keys(last?.history?.epochs[0]?.metrics ?? {})).toContain("val_loss");
    expect(last?.history?.epochs[2]?.loss).toBe(last?.loss);
    const lineage = JSON.parse(await readFile(path.join(o.model.dir, "liftoff.json"), "utf8"));
    expect(lineage.history).toEqual(last?.history?.epochs);
  });

  it("resumes from a mid-epoch checkpoint to the same weights as an uninterrupted run", async () => {
    const full = await trainOnce("full");
    // A clock that makes every batch checkpoint-worthy, and a run that dies right after its 5th checkpoint
    // (epoch 1, after batch 6): what a SIGKILL leaves behind. The integration test kills a real pod.
    const dir = path.join(root, "ckpt-resume");
    let t = 0;
    let checkpoints = 0;
    const args = await parseTrainArgs(
      [
        "--spec",
        await jobFile("killed", {}),
        "--data",
        data,
        "--out",
        path.join(root, "killed"),
        "--checkpoint-dir",
        dir,
        "--checkpoint-seconds",
        "1",
      ],
      {},
    );
    const dying = {
      log: () => {},
      now: () => (t += 600),
      progress: () => {
        if (++checkpoints === 5) throw new Error("killed");
      },
    };
    await expect(runTrain(args, {}, dying)).rejects.toThrow("killed");
    const resumed = await runTrain(args, {}, quiet);
    expect(resumed.resumedFrom).toBe("ckpt-000000-000000006"); // epoch 1, after batch 6 of 10
    expect(await weightsOf(resumed)).toBe(await weightsOf(full));
  });

  it("skips a tampered checkpoint and says so, falling back to the one before", async () => {
    const dir = path.join(root, "ckpt-tamper");
    await trainOnce("tamper", ["--checkpoint-dir", dir]);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(["ckpt-000001-000000000", "ckpt-000002-000000000", "ckpt-000003-000000000"]);
    await writeFile(path.join(dir, "ckpt-000003-000000000", "weights.bin"), "garbage");
    await mkdir(path.join(dir, ".tmp-killed")); // a write a SIGKILL interrupted
    await writeFile(path.join(dir, ".tmp-killed", "weights.bin"), "half");
    const same = buildStack(
      [
        { type: "dense", units: 8 },
        { type: "dropout", rate: 0.2 },
      ],
      4,
      headFor("multiclass", ["a", "b", "c"]),
    );
    const got = await restoreCheckpoint(dir, same, tf.train.adam());
    expect(got.skipped).toEqual(["ckpt-000003-000000000: weights.bin does not match its digest"]);
    expect(got.name).toBe("ckpt-000002-000000000");
    expect((await readdir(dir)).sort()).toEqual(names);
    expect(got.state?.epoch).toBe(2);
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    const none = await restoreCheckpoint(dir, other, tf.train.adam());
    expect(none.name).toBeUndefined();
    expect(none.skipped[1]).toMatch(/it holds 4 weights, the model has 2/);
  });

  it("stops at the first non-finite loss, naming epoch and batch and suggesting a lower rate", async () => {
    const file = path.join(root, "nan.json");
    await writeFile(
      file,
      JSON.stringify({
        kind: "TrainingJob",
        metadata: { name: "nan" },
        spec: {
          dataSetRef: { name: "reg" },
          task: "regression",
          model: { layers: [{ type: "dense", units: 8 }] },
          hyperparameters: { optimizer: "sgd", learningRate: 10, epochs: 5, batchSize: 8 },
        },
      }),
    );
    const args = await parseTrainArgs(["--spec", file, "--data", regression, "--out", path.join(root, "nan")], {});
    await expect(runTrain(args, {}, quiet)).rejects.toThrow(
      /the loss became (NaN|Infinity) at epoch 1, batch \d+ of \d+: the learning rate 10 is probably too high; try 1/,
    );
  });

  it("publishes model, preprocessing, stats and lineage under the manifest's digest", async () => {
    const o = await trainOnce("publish");
    const manifest = await readFile(path.join(o.model.dir, "manifest.json"));
    const hex = createHash("sha256").update(manifest).digest("hex");
    expect(o.model.digest).toBe(`sha256:${hex}`);
    expect(path.basename(o.model.dir)).toBe(hex);
    const m = JSON.parse(manifest.toString()) as { files: { path: string; sha256: string }[] };
    expect(m.files.map((f) => f.path).sort()).toEqual(
      ["liftoff.json", "model.json", "preprocessing.json", "stats.json", "weights.bin"].sort(),
    );
    for (const f of m.files) {
      const bytes = await readFile(path.join(o.model.dir, f.path));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(f.sha256);
    }
    const lineage = JSON.parse(await readFile(path.join(o.model.dir, "liftoff.json"), "utf8"));
    expect(lineage).toMatchObject({
      dataSet: { name: "blobs", digest: o.dataSetDigest },
      classes: ["c0", "c1", "c2"],
      hyperparameters: { optimizer: "adam", batchSize: 32, seed: 5 },
      finalMetrics: o.finalMetrics,
      tfjsVersion: tf.version.tfjs,
    });
    const served = await tf.loadLayersModel(`file://${path.join(o.model.dir, "model.json")}`);
    const p = (served.predict(tf.zeros([2, 4])) as tf.Tensor).sum(1).dataSync();
    expect(Array.from(p).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 1]); // softmax restored in model.json
  });

  it("refuses data whose digest changed since the job started", async () => {
    const args = await parseTrainArgs(
      [
        "--spec",
        await jobFile("changed", {}),
        "--data",
        data,
        "--out",
        path.join(root, "changed"),
        "--data-digest",
        `sha256:${"0".repeat(64)}`,
      ],
      {},
    );
    await expect(runTrain(args, {}, quiet)).rejects.toThrow(/the DataSet's data changed since the job started/);
  });
});

describe("train: egress of an http(s) base model (issue #24)", () => {
  it("finding: a base model on the cloud metadata address is refused by default; the termination message says EgressRefused", async () => {
    const file = path.join(root, "egress.json");
    await writeFile(
      file,
      JSON.stringify({
        kind: "TrainingJob",
        metadata: { name: "egress" },
        spec: {
          dataSetRef: { name: "blobs" },
          task: "multiclass",
          model: { baseModel: { uri: "http://169.254.169.254/latest/model.json", digest: `sha256:${"a".repeat(64)}` } },
          hyperparameters: { epochs: 1 },
        },
      }),
    );
    const termination = path.join(root, "egress-termination-log");
    const code = await trainMain(["--spec", file, "--data", data, "--out", path.join(root, "egress")], {
      LIFTOFF_TERMINATION_LOG: termination,
    });
    expect(code).toBe(2); // not retried: a refusal stays one until the admin opens it
    const message = JSON.parse(await readFile(termination, "utf8"));
    expect(message.reason).toBe("EgressRefused");
    expect(message.message).toMatch(/connecting to 169\.254\.169\.254 is refused: it is a cloud metadata address/);
  });
});
