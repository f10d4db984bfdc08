// DP-SGD through `train` end to end on a small seeded fixture: ε in the live progress and in liftoff.json is the
// accountant's for the run's q, σ and steps; a targetEpsilon is met from below; an unreachable one fails before the
// first step naming the smallest reachable ε; a run killed mid-epoch resumes to the same bits; two fresh runs draw
// different (secret) noise.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobs, writeDataSetFixture } from "../../../test/support/dataset-fixture.js";
import { parseTrainArgs, runTrain, type TrainOutcome, trainMain } from "./command.js";
import { epsilonSpent } from "./dp-accountant.js";
import type { DpRandomState } from "./dp-random.js";
import type { Progress } from "./trainer.js";

let root: string;
let data: string;
let trainRows: number;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "liftoff-dp-"));
  data = path.join(root, "blobs");
  await writeDataSetFixture(data, blobs(400, 4, 3));
  trainRows = JSON.parse(await readFile(path.join(data, "stats.json"), "utf8")).rows.train;
});
afterAll(() => rm(root, { recursive: true, force: true }));

const job = async (name: string, privacy: Record<string, unknown>, hp: Record<string, unknown> = {}) => {
  const file = path.join(root, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      kind: "TrainingJob",
      metadata: { name },
      spec: {
        dataSetRef: { name: "blobs" },
        task: "multiclass",
        model: { layers: [{ type: "dense", units: 8, activation: "relu" }] },
        hyperparameters: {
          learningRate: 0.05,
          epochs: 4,
          batchSize: 32,
          metrics: ["accuracy"],
          seed: 5,
          privacy,
          ...hp,
        },
      },
    }),
  );
  return file;
};

const KEY: DpRandomState = { key: "11".repeat(32), noiseBlocks: 0 };

async function run(name: string, privacy: Record<string, unknown>, extra: string[] = [], dpRandom?: DpRandomState) {
  const reports: Progress[] = [];
  const logs: string[] = [];
  const args = await parseTrainArgs(
    ["--spec", await job(name, privacy), "--data", data, "--out", path.join(root, name), ...extra],
    {},
  );
  const outcome = await runTrain(
    args,
    {},
    {
      log: (m) => void logs.push(m),
      progress: (p) => void reports.push(p),
      ...(dpRandom ? { dpRandom } : {}),
    },
  );
  const lineage = JSON.parse(await readFile(path.join(outcome.model.dir, "liftoff.json"), "utf8"));
  return { outcome, reports, logs, lineage };
}

const weightsOf = async (o: TrainOutcome) =>
  createHash("sha256")
    .update(await readFile(path.join(o.model.dir, "weights.bin")))
    .digest("hex");

describe("train with hyperparameters.privacy", { timeout: 120_000 }, () => {
  it("reports ε live and in liftoff.json as the accountant gives it, on the DP step, and still learns", async () => {
    const { outcome, reports, logs, lineage } = await run("sigma", { l2NormClip: 1, noiseMultiplier: 0.8 });
    const steps = Math.ceil(trainRows / 32);
    const q = 1 / steps;
    expect(logs).toContain(
      "train step: DP-SGD on the dense stack: per-example clipping and Gaussian noise (dp-step.ts)",
    );
    // A report per epoch and the final one, each with the ε of the steps so far.
    expect(reports.map((r) => r.privacy?.steps)).toEqual([1, 2, 3, 4, 4].map((e) => e * steps));
    for (const r of reports) {
      expect(r.privacy?.epsilon).toBeCloseTo(epsilonSpent(q, 0.8, r.privacy?.steps ?? -1, 1e-5), 10);
    }
    const last = reports.at(-1)?.privacy;
    expect(last?.steps).toBe(4 * steps);
    expect(last?.delta).toBe(1e-5); // 1/N rounded down to a power of ten is 1e-3; at most 1e-5
    expect(reports[0]?.privacy?.epsilon).toBeLessThan(last?.epsilon ?? 0);
    expect(lineage.privacy).toEqual({
      ...last,
      accountant: "rdp",
      l2NormClip: 1,
      sampling: "poisson",
      sampleRate: q,
    });
    expect(lineage.hyperparameters.privacy).toEqual({ l2NormClip: 1, noiseMultiplier: 0.8, sampling: "poisson" });
    expect(outcome.finalMetrics.accuracy).toBeGreaterThan(0.6); // chance is 1/3
  });

  it("derives σ from targetEpsilon and ends at or just below it; shuffled sampling too", async () => {
    const { reports, lineage } = await run("target", {
      l2NormClip: 1,
      targetEpsilon: 3,
      delta: 1e-4,
      sampling: "shuffle",
    });
    const last = reports.at(-1)?.privacy;
    expect(last?.epsilon).toBeLessThanOrEqual(3);
    expect(last?.epsilon).toBeGreaterThan(2.99);
    expect(last?.delta).toBe(1e-4);
    expect(lineage.privacy.sampling).toBe("shuffle");
    expect(lineage.privacy.noiseMultiplier).toBe(last?.noiseMultiplier);
  });

  it("refuses an unreachable targetEpsilon before training, naming the smallest reachable ε (exit 2)", async () => {
    const termination = path.join(root, "unreachable-termination-log");
    const file = await job("unreachable", { l2NormClip: 1, targetEpsilon: 0.01 });
    const code = await trainMain(["--spec", file, "--data", data, "--out", path.join(root, "unreachable")], {
      LIFTOFF_TERMINATION_LOG: termination,
    });
    expect(code).toBe(2);
    const message = JSON.parse(await readFile(termination, "utf8"));
    expect(message.reason).toBe("PrivacyBudgetUnreachable");
    expect(message.message).toMatch(/targetEpsilon 0\.01 cannot be reached .* the smallest reachable ε is 0\.\d+/);
  });

  it.each(["poisson", "shuffle"])(
    "resumes a run killed mid-epoch to the same weights (same noise, same %s batches)",
    async (sampling) => {
      const privacy = { l2NormClip: 1, noiseMultiplier: 1, sampling };
      const full = await run(`dp-full-${sampling}`, privacy, [], KEY);
      let t = 0;
      let progress = 0;
      const args = await parseTrainArgs(
        [
          "--spec",
          await job(`dp-killed-${sampling}`, privacy),
          "--data",
          data,
          "--out",
          path.join(root, `dp-killed-${sampling}`),
          "--checkpoint-dir",
          path.join(root, `dp-ckpt-${sampling}`),
          "--checkpoint-seconds",
          "1",
        ],
        {},
      );
      const dying = {
        log: () => {},
        now: () => (t += 600),
        dpRandom: KEY,
        progress: () => {
          if (++progress === 5) throw new Error("killed");
        },
      };
      await expect(runTrain(args, {}, dying)).rejects.toThrow("killed");
      // Resumed with no key given: it comes from the checkpoint.
      const resumed = await runTrain(args, {}, { log: () => {}, progress: () => {} });
      expect(resumed.resumedFrom).toMatch(/^ckpt-000000-/); // mid-epoch 1
      expect(await weightsOf(resumed)).toBe(await weightsOf(full.outcome));
    },
  );

  it("draws secret noise: two fresh runs with the same seed differ", async () => {
    const a = await run("fresh-a", { l2NormClip: 1, noiseMultiplier: 1 });
    const b = await run("fresh-b", { l2NormClip: 1, noiseMultiplier: 1 });
    expect(await weightsOf(a.outcome)).not.toBe(await weightsOf(b.outcome));
  });
});
