// Zero training/serving skew, and serving a trained model from raw records: the real `prepare` on the penguins data
// (examples/penguins.csv, CC0), `train` on its output, and the serving runtime's raw-record path.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  penguinsTrainingJob,
} from "../../../test/support/dataset.js";
import { prepareInline, readParquet, tmp } from "../../../test/support/prepare.js";
import type { PreprocessingJson } from "../contract/artifacts.js";
import { compilePreprocessing } from "../contract/preprocess.js";
import type { PrepareResult } from "../prepare/pipeline.js";
import { startServe } from "../serve/start.js";
import { parseTrainArgs, runTrain, type TrainOutcome } from "./command.js";

let prepared: PrepareResult;
let pre: PreprocessingJson;
let trained: TrainOutcome;
const root = tmp();

/** The raw CSV rows by their position in the file (prepare keeps that order within each split). */
function csvRows(): Record<string, unknown>[] {
  const [header, ...lines] = PENGUINS_CSV.trim().split("\n");
  const cols = (header ?? "").split(",");
  return lines.map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(
      cols.map((c, i) => {
        const v = cells[i] ?? "";
        const type = PENGUINS_SCHEMA.columns.find((x) => x.name === c)?.type;
        if (v === "" || v === "NA") return [c, null];
        return [c, type === "number" || type === "integer" ? Number(v) : v];
      }),
    );
  });
}

beforeAll(async () => {
  ({ result: prepared } = await prepareInline(PENGUINS_CSV, {
    schema: PENGUINS_SCHEMA,
    transforms: PENGUINS_TRANSFORMS,
  }));
  pre = JSON.parse(await readFile(path.join(prepared.dir, "preprocessing.json"), "utf8"));
  const spec = path.join(root, "job.json");
  await writeFile(spec, JSON.stringify(penguinsTrainingJob(20)));
  const args = await parseTrainArgs(["--spec", spec, "--data", prepared.dir, "--out", path.join(root, "models")], {});
  trained = await runTrain(args, {}, { log: () => {}, progress: () => {} });
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe("penguins: prepare → train → serve", { timeout: 60_000 }, () => {
  it("turns the test split's raw rows into prepare's transformed rows (|Δ| ≤ 1e-6)", async () => {
    const transform = compilePreprocessing(pre);
    // The split does not say which raw row each test row came from, so every clean raw row goes through the
    // serving transform and each of prepare's test rows must be matched by one of them within 1e-6.
    const raw = csvRows().filter((r) => Object.values(r).every((v) => v !== null));
    const mine = raw.map((r) => Array.from(transform.batch([r])));
    const test = await readParquet(path.join(prepared.dir, "test", "part-00000.parquet"));
    expect(test.length).toBeGreaterThan(20);
    let worst = 0;
    for (const row of test) {
      const want = pre.featureNames.map((f) => Number(row[f]));
      const dist = (m: number[]) => Math.max(...m.map((v, i) => Math.abs(v - (want[i] as number))));
      const best = Math.min(...mine.map(dist));
      worst = Math.max(worst, best);
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it("learns the species, and records the lineage", () => {
    expect(trained.finalMetrics.accuracy).toBeGreaterThan(0.9);
    expect(trained.dataSetDigest).toBe(prepared.digest);
  });

  it("serves raw records (V1 and V2) with class labels, verifying the artifact's manifest digest", async () => {
    const s = await startServe(
      [
        ...["--model-uri", trained.model.dir, "--model-name", "penguins", "--model-digest", trained.model.digest],
        ...["--host", "127.0.0.1", "--port", "0", "--backend", "tensorflow", "--log-level", "silent"],
      ],
      {},
    );
    try {
      await s.loaded;
      const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      const gentoo = {
        island: "Biscoe",
        bill_length_mm: 47.5,
        bill_depth_mm: 14.2,
        flipper_length_mm: 217,
        body_mass_g: 4875,
        sex: "female",
      };
      const adelie = {
        island: "Torgersen",
        bill_length_mm: 39.1,
        bill_depth_mm: 18.7,
        flipper_length_mm: 181,
        body_mass_g: 3750,
        sex: "male",
      };
      const v1 = await fetch(`${url}/v1/models/penguins:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [gentoo, adelie] }),
      });
      expect(v1.status).toBe(200);
      const body = (await v1.json()) as { predictions: number[][]; labels: string[] };
      expect(body.labels).toEqual(["Gentoo", "Adelie"]);
      expect(body.predictions[0]).toHaveLength(3);

      const column = (name: string, datatype: string, data: unknown[]) => ({
        name,
        datatype,
        shape: [data.length],
        data,
      });
      const v2 = await fetch(`${url}/v2/models/penguins/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          inputs: [
            column("island", "BYTES", ["Biscoe"]),
            column("sex", "BYTES", ["female"]),
            ...(["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"] as const).map((c) =>
              column(c, "FP32", [gentoo[c]]),
            ),
          ],
        }),
      });
      expect(v2.status).toBe(200);
      const out = (await v2.json()) as { outputs: { name: string; data: unknown[] }[] };
      expect(out.outputs.find((o) => o.name === "label")?.data).toEqual(["Gentoo"]);

      const { sex: _, ...noSex } = gentoo;
      const bad = await fetch(`${url}/v1/models/penguins:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [noSex] }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toBe("instance 0: column 'sex' is missing");
    } finally {
      await s.close();
    }
  });

  it("refuses to serve an artifact whose preprocessing.json was changed after publishing", async () => {
    const copy = path.join(root, "tampered");
    await rm(copy, { recursive: true, force: true });
    const { cp } = await import("node:fs/promises");
    await cp(trained.model.dir, copy, { recursive: true });
    const prePath = path.join(copy, "preprocessing.json");
    await writeFile(prePath, (await readFile(prePath, "utf8")).replace('"Biscoe"', '"Atlantis"'));
    const s = await startServe(
      [
        ...["--model-uri", copy, "--model-name", "p", "--model-digest", trained.model.digest],
        ...["--host", "127.0.0.1", "--port", "0", "--backend", "cpu", "--log-level", "silent"],
      ],
      {},
    );
    try {
      await expect(s.loaded).rejects.toThrow(
        "preprocessing.json does not match the model's manifest; refusing to serve",
      );
    } finally {
      await s.close();
    }
  });
});
