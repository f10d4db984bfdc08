// DataSet prepare and TrainingJob train on s3:// against a real S3 server (SeaweedFS's weed, test/support/s3-server.ts):
// the source read from a bucket, the version published there (pruned, deleted), a training run reading it, its
// checkpoints and model written there, and a run killed mid-way resumed from the bucket's checkpoint. Slow (a server
// per file): npm test runs it, npm run check does not (vitest.check.config.ts).
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { blobs, writeDataSetFixture } from "../../test/support/dataset-fixture.js";
import { type StartedS3Server, startS3Server } from "../../test/support/s3-server.js";
import type { ManifestJson } from "./contract/artifacts.js";
import { prepareMain } from "./prepare/command.js";
import { type ObjectStore, s3ObjectStore } from "./storage/object-store.js";
import { uploadFolder } from "./storage/version-folder.js";
import { parseTrainArgs, runTrain, trainMain } from "./train/command.js";

let srv: StartedS3Server;
let work: string;
let store: ObjectStore;
const HEX = /^[0-9a-f]{64}$/;

beforeAll(async () => {
  srv = await startS3Server();
  work = await mkdtemp(path.join(tmpdir(), "liftoff-s3-data-"));
  store = s3ObjectStore(srv.client(), srv.bucket);
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A pod's env: the endpoint and the liftoff keys in the AWS variables, its own scratch. */
const envOf = async (extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> => ({
  AWS_ENDPOINT_URL_S3: srv.endpoint,
  AWS_REGION: srv.region,
  AWS_ACCESS_KEY_ID: srv.keys.liftoff.accessKeyId,
  AWS_SECRET_ACCESS_KEY: srv.keys.liftoff.secretAccessKey,
  LIFTOFF_SCRATCH: await mkdtemp(path.join(work, "scratch-")),
  ...extra,
});

const keysUnder = async (prefix: string) => {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
};
const versionsUnder = async (prefix: string) =>
  [...new Set((await keysUnder(`${prefix}/`)).map((k) => k.slice(prefix.length + 1).split("/")[0] ?? ""))]
    .filter((n) => HEX.test(n))
    .sort();

/** A prepare spec file reading `source` and writing to `out` (seed varies the split, so the version). */
async function specFile(source: string, out: string, seed = 1, retainVersions = 3): Promise<string> {
  const file = path.join(work, `spec-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({
      source: { s3: { uri: source } },
      format: "csv",
      schema: {
        target: "species",
        columns: [
          { name: "bill", type: "number" },
          { name: "mass", type: "number" },
          { name: "species", type: "category" },
        ],
      },
      transforms: [{ type: "standardize" }],
      split: { train: 0.7, validation: 0.15, test: 0.15, seed },
      output: { uri: out },
      retainVersions,
    }),
  );
  return file;
}

const CSV = [
  "bill,mass,species",
  ...Array.from(
    { length: 90 },
    (_, i) => `${30 + (i % 3) * 8 + (i % 7) / 10},${3000 + (i % 3) * 900 + i},${["A", "B", "C"][i % 3]}`,
  ),
].join("\n");

/** Runs prepare as the Job does; returns its exit code and what it wrote on stderr. */
async function prepare(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return { code: await prepareMain(argv, env), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe("prepare on s3://", { timeout: 120_000 }, () => {
  it("reads the CSV from the bucket and publishes the version there: every object with its sha256, manifest listing them", async () => {
    await writeFile(path.join(work, "penguins.csv"), CSV);
    await store.upload(path.join(work, "penguins.csv"), "raw/penguins.csv");
    const spec = await specFile(`s3://${srv.bucket}/raw/penguins.csv`, `s3://${srv.bucket}/ds/one`);
    const r = await prepare(["--spec", spec, "--out", `s3://${srv.bucket}/ds/one`], await envOf());
    expect(r.stderr).toContain("uploaded s3://");
    expect(r.code).toBe(0);
    const [hex] = await versionsUnder("ds/one");
    expect(hex).toMatch(HEX);
    const dest = path.join(work, "manifest-one.json");
    await store.download(`ds/one/${hex}/manifest.json`, dest);
    const bytes = await readFile(dest);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(hex); // the folder is named by its manifest
    const manifest = JSON.parse(bytes.toString("utf8")) as ManifestJson;
    expect(manifest.files.map((f) => f.path)).toContain("preprocessing.json");
    for (const f of manifest.files) expect((await store.head(`ds/one/${hex}/${f.path}`))?.sha256).toBe(f.sha256);
    expect(await keysUnder(`ds/one/${hex}/`)).toHaveLength(manifest.files.length + 1);
  });

  it("prunes past retainVersions on the bucket but keeps the versions in use; --delete removes every version, not models/", async () => {
    const src = `s3://${srv.bucket}/raw/penguins.csv`;
    const out = `s3://${srv.bucket}/ds/prune`;
    const run = async (seed: number, keep = "") =>
      prepare(
        ["--spec", await specFile(src, out, seed, 1), "--out", out],
        await envOf(keep ? { LIFTOFF_KEEP_VERSIONS: keep } : {}),
      );
    expect((await run(1)).code).toBe(0);
    const [first] = await versionsUnder("ds/prune");
    expect((await run(2)).code).toBe(0);
    const afterTwo = await versionsUnder("ds/prune");
    expect(afterTwo).toHaveLength(1); // retainVersions 1: the first is gone
    expect(afterTwo).not.toContain(first);
    const second = afterTwo[0] as string;
    expect((await run(3, second)).code).toBe(0); // a TrainingJob uses the second
    const afterThree = await versionsUnder("ds/prune");
    expect(afterThree).toHaveLength(2);
    expect(afterThree).toContain(second);

    await writeFile(path.join(work, "model.json"), "{}");
    await store.upload(path.join(work, "model.json"), "ds/prune/models/tj/model.json");
    const del = await prepare(["--delete", "--out", out], await envOf());
    expect(del.code).toBe(0);
    expect(await versionsUnder("ds/prune")).toEqual([]);
    expect(await keysUnder("ds/prune/")).toEqual(["ds/prune/models/tj/model.json"]);
  });

  it.each([
    ["a missing key", (b: string) => `s3://${b}/raw/nothing-here.csv`, "StorageNotFound"],
    ["a missing bucket", () => "s3://no-such-bucket-liftoff/raw/penguins.csv", "StorageNotFound"],
  ])("%s fails at once (exit 3) with StorageNotFound naming the URI", async (_what, uri, reason) => {
    const src = uri(srv.bucket);
    const r = await prepare(
      ["--spec", await specFile(src, `s3://${srv.bucket}/ds/bad`), "--out", `s3://${srv.bucket}/ds/bad`],
      await envOf(),
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${reason}: ${src}`);
  });

  it("wrong keys fail with StorageAccessDenied (exit 3), an endpoint that does not answer with StorageUnreachable (exit 1, retried)", async () => {
    const src = `s3://${srv.bucket}/raw/penguins.csv`;
    const spec = await specFile(src, `s3://${srv.bucket}/ds/bad`);
    const denied = await prepare(
      ["--spec", spec, "--out", `s3://${srv.bucket}/ds/bad`],
      await envOf({ AWS_SECRET_ACCESS_KEY: "not-the-secret" }),
    );
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/StorageAccessDenied: s3:\/\/liftoff\/ds\/bad.*secret key does not match/);
    const down = await prepare(
      ["--spec", spec, "--out", `s3://${srv.bucket}/ds/bad`],
      await envOf({ AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9" }),
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("StorageUnreachable: s3://liftoff/ds/bad");
  });
});

describe("train on s3://", { timeout: 180_000 }, () => {
  let dataUri: string;
  let digest: string;
  const job = async (name: string) => {
    const file = path.join(work, `${name}.json`);
    await writeFile(
      file,
      JSON.stringify({
        kind: "TrainingJob",
        metadata: { name },
        spec: {
          dataSetRef: { name: "blobs" },
          task: "multiclass",
          model: { layers: [{ type: "dense", units: 8, activation: "relu" }] },
          hyperparameters: { learningRate: 0.02, epochs: 3, batchSize: 32, metrics: ["accuracy"], seed: 5 },
        },
      }),
    );
    return file;
  };

  beforeAll(async () => {
    const local = path.join(work, "blobs");
    digest = await writeDataSetFixture(local, blobs(400, 4, 3));
    const hex = digest.slice("sha256:".length);
    await uploadFolder(local, store, `train/ds/${hex}`);
    dataUri = `s3://${srv.bucket}/train/ds/${hex}`;
  });

  it("a run killed mid-way resumes from the bucket's newest checkpoint (fresh scratch) to the same model, uploaded there", async () => {
    const full = await runTrain(
      await parseTrainArgs(["--spec", await job("full"), "--data", dataUri, "--out", path.join(work, "full")], {}),
      await envOf(),
      { log: () => {}, progress: () => {} },
    );
    const args = await parseTrainArgs(
      [
        "--spec",
        await job("killed"),
        "--data",
        dataUri,
        "--data-digest",
        digest,
        "--out",
        `s3://${srv.bucket}/train/models`,
        "--checkpoint-dir",
        `s3://${srv.bucket}/train/models/.checkpoints/uid-1`,
        "--checkpoint-seconds",
        "1",
      ],
      {},
    );
    let t = 0;
    let checkpoints = 0;
    const dying = {
      log: () => {},
      now: () => (t += 600),
      progress: () => {
        if (++checkpoints === 5) throw new Error("killed");
      },
    };
    await expect(runTrain(args, await envOf(), dying)).rejects.toThrow("killed");
    const saved = (await keysUnder("train/models/.checkpoints/uid-1/")).filter((k) => k.endsWith("/state.json"));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThanOrEqual(3); // --keep-checkpoints' default, on the bucket too
    const logs: string[] = [];
    // A new pod: nothing local survives, only the bucket.
    const resumed = await runTrain(args, await envOf(), { log: (m) => logs.push(m), progress: () => {} });
    expect(resumed.resumedFrom).toBe("ckpt-000000-000000006");
    expect(logs.join("\n")).toContain("downloaded checkpoint ckpt-000000-000000006");
    const hex = resumed.model.digest.slice("sha256:".length);
    expect(resumed.model.uri).toBe(`s3://${srv.bucket}/train/models/${hex}`);
    const weights = path.join(work, "weights-resumed.bin");
    await store.download(`train/models/${hex}/weights.bin`, weights);
    const sha = async (f: string) =>
      createHash("sha256")
        .update(await readFile(f))
        .digest("hex");
    expect(await sha(weights)).toBe(await sha(path.join(full.model.dir, "weights.bin")));
    expect(await store.head(`train/models/${hex}/manifest.json`)).toBeDefined();
  });

  it("a DataSet version that is not in the bucket fails with StorageNotFound naming it (exit 2: no retry)", async () => {
    const file = path.join(work, "termination.json");
    const missing = `s3://${srv.bucket}/train/ds/${"0".repeat(64)}`;
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await trainMain(
        ["--spec", await job("missing"), "--data", missing, "--out", `s3://${srv.bucket}/train/models`],
        { ...(await envOf()), LIFTOFF_TERMINATION_LOG: file },
      );
      expect(code).toBe(2);
    } finally {
      err.mockRestore();
    }
    const msg = JSON.parse(await readFile(file, "utf8")) as { reason: string; message: string };
    expect(msg.reason).toBe("StorageNotFound");
    expect(msg.message).toContain(missing);
  });
});
