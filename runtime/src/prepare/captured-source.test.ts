// source.captured in the prepare pipeline: captured versions (written with the capture format module) alone or
// merged with another source, the labelled filter, hashPII not applied twice, columns the capture lacks, age and
// integrity of versions.
import { createHmac, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureVersion, type RecordColumn } from "../../../test/support/capture-fixtures.js";
import { part, statsOf, tmp } from "../../../test/support/prepare.js";
import { writeCaptureVersion, writeCaptureVersionS3 } from "../capture/format.js";
import { CAPTURE_DEFAULTS, type CaptureConfig } from "../contract/capture.js";
import { ParquetWriter } from "../serve/capture/parquet.js";
import { localObjectStore } from "../storage/local-store.js";
import { loadCaptured } from "./captured-source.js";
import { prepareMain } from "./command.js";
import { PrepareError } from "./errors.js";
import { type PrepareSecrets, runPrepare } from "./pipeline.js";
import { openSource } from "./source.js";
import { specWithDefaults } from "./spec.js";

const schema = {
  target: "y",
  columns: [
    { name: "x", type: "number" },
    { name: "y", type: "category" },
  ],
};
const COLS: RecordColumn[] = [
  ["x", "DOUBLE"],
  ["y", "VARCHAR"],
];
const all = { train: 1, validation: 0, test: 0, seed: 1 };
const captured = { modelDeploymentRef: { name: "penguins" } };
const NOW = new Date("2026-12-06T21:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const primaryCsv = `x,y\n${Array.from({ length: 20 }, (_, i) => `${i},${"ab"[i % 2]}`).join("\n")}\n`;

// A fake transit, as in format.test.ts: the wrapped key carries the data key, unwrapped only for its key name.
const dataKey = randomBytes(32);
const secrets: PrepareSecrets = {
  readKv: async (p, k) => (p === "secret/data/salt" && k === "salt" ? "pepper" : ""),
  generateWrappedDataKey: async () => ({ wrappedKey: "" }),
  unwrapDataKey: async (key, wrapped) => {
    if (key !== "captures") throw new Error("unwrap refused");
    return Buffer.from(wrapped.slice("vault:v1:".length), "base64");
  },
};

// biome-ignore lint/suspicious/noExplicitAny: test specs are partial manifests
async function prepare(root: string, spec: any, o: { unwrap?: boolean } = {}) {
  const full = specWithDefaults({ output: { claimName: "c", path: "p" }, split: all, ...spec });
  const resolved = { modelDeployment: "penguins", uri: "pvc://capture/penguins", root };
  return runPrepare({
    spec: full,
    out: tmp(),
    scratch: tmp(),
    source: openSource(full, {}),
    captured: (scratch) =>
      loadCaptured(
        full.source.captured as NonNullable<typeof full.source.captured>,
        { resolved, now: NOW, ...(o.unwrap === false ? {} : { unwrap: secrets.unwrapDataKey }) },
        scratch,
      ),
    secrets,
    threads: 2,
    memoryLimit: "256MB",
  });
}

async function failure(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PrepareError) return { reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error("expected a PrepareError");
}

describe("prepare: source.captured", () => {
  it("reads captured traffic alone: labelled rows of every version younger than maxAgeHours, no capture columns", async () => {
    const root = tmp();
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
        [102, null],
      ],
      { at: hoursAgo(2), seq: 0 },
    );
    await captureVersion(
      root,
      COLS,
      [
        [103, "a"],
        [104, "b"],
      ],
      { at: hoursAgo(1), seq: 1, pod: "penguins-7d9f-zzzzz" },
    );
    await captureVersion(root, COLS, [[999, "a"]], { at: hoursAgo(30) }); // older than maxAgeHours
    const r = await prepare(root, { schema, source: { captured: { ...captured, maxAgeHours: 24 } } });
    expect(r.captured).toEqual({ rows: 4, versions: 2 });
    expect(r.rows).toMatchObject({ read: 4, total: 4 });
    const train = await part(r, "train");
    expect(train.map((row) => row.x).sort()).toEqual([100, 101, 103, 104]);
    expect(Object.keys(train[0] ?? {}).sort()).toEqual(["x", "y"]);
  });

  it("merges with the other source before cleaning, the source's rows first and unchanged, deterministically", async () => {
    const root = tmp();
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
        [102, null],
      ],
      { at: hoursAgo(1) },
    );
    const spec = {
      schema,
      source: { inline: { data: primaryCsv }, captured },
      split: { train: 0.8, validation: 0.1, test: 0.1, seed: 3 },
    };
    const a = await prepare(root, spec);
    expect(a.captured).toEqual({ rows: 2, versions: 1 });
    expect(a.rows).toMatchObject({ read: 22, total: 22 });
    const xs = (await Promise.all(["train", "validation", "test"].map((p) => part(a, p)))).flat().map((r) => r.x);
    expect(xs.sort((p, q) => Number(p) - Number(q))).toEqual([...Array.from({ length: 20 }, (_, i) => i), 100, 101]);
    const b = await prepare(root, spec);
    expect(b.digest).toBe(a.digest);
  });

  it("keeps unlabelled rows when labelled is false (the spec must then handle the missing target)", async () => {
    const root = tmp();
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
        [102, null],
      ],
      { at: hoursAgo(1) },
    );
    const spec = {
      schema,
      source: { inline: { data: primaryCsv }, captured: { ...captured, labelled: false } },
    };
    const missing = await failure(prepare(root, spec));
    expect(missing).toMatchObject({
      reason: "MissingValues",
      message: expect.stringMatching(/column "y" still has 1/),
    });
    const r = await prepare(root, { ...spec, transforms: [{ type: "fillNA", columns: ["y"], value: "b" }] });
    expect(r.captured).toEqual({ rows: 3, versions: 1 });
    expect(r.rows.total).toBe(23);
  });

  it("does not hash captured rows again: the serving pod hashed them with the same salt", async () => {
    const root = tmp();
    const hmac = (v: string) => createHmac("sha256", "pepper").update(v).digest("hex");
    const cols: RecordColumn[] = [["email", "VARCHAR"], ...COLS];
    await captureVersion(root, cols, [[hmac("cat@x.org"), 100, "a"]], { at: hoursAgo(1) });
    const r = await prepare(root, {
      schema: { target: "y", columns: [{ name: "email", type: "string", pii: true }, ...schema.columns] },
      source: { inline: { data: "email,x,y\nann@x.org,1,a\nbob@x.org,2,b\n" }, captured },
      transforms: [{ type: "hashPII", saltSecret: { path: "secret/data/salt", key: "salt" } }],
    });
    const emails = statsOf(r).columns.find((c) => c.name === "email");
    expect(emails?.histogram).toEqual({
      kind: "categorical",
      counts: { [hmac("ann@x.org")]: 1, [hmac("bob@x.org")]: 1, [hmac("cat@x.org")]: 1 },
    });
  });

  it("reads what the serving pod's capture writer wrote: a hashed e-mail equals prepare's hash of the same e-mail", async () => {
    const root = tmp();
    const config: CaptureConfig = {
      uri: "pvc://capture/penguins",
      ...CAPTURE_DEFAULTS,
      target: "y",
      targetType: "category",
      columns: [
        { name: "email", type: "string" },
        { name: "x", type: "number" },
        { name: "phone", type: "string" },
      ],
      pii: [
        { column: "email", action: "hash", saltVaultPath: "secret/data/salt", saltVaultKey: "salt" },
        { column: "phone", action: "drop" },
      ],
      track: "stable",
    };
    const scratch = tmp();
    const writer = await ParquetWriter.open(config, new Map([["email", Buffer.from("pepper")]]), scratch);
    const file = path.join(scratch, "records.parquet");
    const row = (email: string, x: number, label: unknown) => ({
      record: { email, x, phone: "555-1" },
      label,
      prediction: "a",
      predictionId: `id-${x}`,
      at: NOW.getTime(),
    });
    await writer.write(
      [row("ann@x.org", 7, "b"), row("cat@x.org", 8, null)],
      "stable",
      `sha256:${"0".repeat(64)}`,
      file,
    );
    writer.close();
    await writeCaptureVersion(root, "penguins-7d9f-abcde", file, undefined, 0, hoursAgo(1));
    const r = await prepare(root, {
      schema: {
        target: "y",
        columns: [
          { name: "email", type: "string", pii: true },
          { name: "x", type: "number" },
          { name: "phone", type: "string", pii: true },
          { name: "y", type: "category" },
        ],
      },
      source: { inline: { data: "email,x,phone,y\nann@x.org,1,555-2,a\nbob@x.org,2,555-3,b\n" }, captured },
      transforms: [
        { type: "dropColumns", columns: ["phone"] },
        { type: "hashPII", saltSecret: { path: "secret/data/salt", key: "salt" } },
      ],
    });
    expect(r.captured).toEqual({ rows: 1, versions: 1 }); // cat@x.org has no label yet
    const hmac = (v: string) => createHmac("sha256", "pepper").update(v).digest("hex");
    expect(statsOf(r).columns.find((c) => c.name === "email")?.histogram).toEqual({
      kind: "categorical",
      counts: { [hmac("ann@x.org")]: 2, [hmac("bob@x.org")]: 1 },
    });
  });

  it("reads a schema column the capture lacks as missing (NULL), for fillNA or dropNA to handle", async () => {
    const root = tmp();
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
      ],
      { at: hoursAgo(1) },
    );
    const withZ = { target: "y", columns: [...schema.columns, { name: "z", type: "number" }] };
    const r = await prepare(root, {
      schema: withZ,
      source: { inline: { data: "x,y,z\n1,a,5\n2,b,6\n" }, captured },
      transforms: [{ type: "fillNA", columns: ["z"], value: "0" }],
    });
    const train = await part(r, "train");
    expect(train.map((row) => [row.x, row.z])).toEqual([
      [1, 5],
      [2, 6],
      [100, 0],
      [101, 0],
    ]);
  });

  it("decrypts encrypted versions with the pod's Vault, and says Vault is needed without one", async () => {
    const root = tmp();
    const encryption = {
      transitKey: "captures",
      dataKey: Buffer.from(dataKey),
      wrappedKey: `vault:v1:${dataKey.toString("base64")}`,
    };
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
      ],
      { at: hoursAgo(1), encryption },
    );
    const r = await prepare(root, { schema, source: { captured } });
    expect(r.captured).toEqual({ rows: 2, versions: 1 });
    const noVault = await failure(prepare(root, { schema, source: { captured } }, { unwrap: false }));
    expect(noVault.reason).toBe("VaultUnreachable");
    expect(noVault.message).toMatch(/ModelDeployment penguins .* is encrypted with transit key captures/);
  });

  it("reads an s3:// capture through the storage layer, as on a claim", async () => {
    const bucket = tmp();
    const store = localObjectStore(bucket);
    const file = path.join(tmp(), "records.parquet");
    const local = tmp();
    const v = await captureVersion(
      local,
      COLS,
      [
        [100, "a"],
        [101, "b"],
      ],
      { at: hoursAgo(1) },
    );
    writeFileSync(file, readFileSync(path.join(v.dir, "records.parquet")));
    await writeCaptureVersionS3(store, "captures/penguins", "pod-a", file, undefined, 0, tmp(), hoursAgo(1));
    const full = specWithDefaults({ source: { captured }, schema, output: { claimName: "c", path: "p" } });
    const resolved = {
      modelDeployment: "penguins",
      uri: "s3://liftoff/captures/penguins",
      root: "s3://liftoff/captures/penguins",
    };
    const opened: string[] = [];
    const s3 = async (uri: string) => {
      opened.push(uri);
      return { store, key: "captures/penguins" };
    };
    const loaded = await loadCaptured(
      full.source.captured as NonNullable<typeof full.source.captured>,
      { resolved, s3, now: NOW },
      tmp(),
    );
    expect(opened).toEqual(["s3://liftoff/captures/penguins"]);
    expect(loaded.files).toHaveLength(1);
    expect(readFileSync(loaded.files[0] as string)).toEqual(readFileSync(file));
  });

  it("refuses a corrupt version with MalformedData naming it, instead of training on it", async () => {
    const root = tmp();
    const v = await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
      ],
      { at: hoursAgo(1) },
    );
    const file = path.join(v.dir, "records.parquet");
    const bytes = readFileSync(file);
    const at = bytes.length - 20;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(file, bytes);
    const f = await failure(prepare(root, { schema, source: { inline: { data: primaryCsv }, captured } }));
    expect(f.reason).toBe("MalformedData");
    expect(f.message).toContain(`capture version ${v.pod}/${v.name}: records.parquet does not match the sha256`);
    expect(f.message).toMatch(/delete that version folder/);
  });

  it("skips a version the serving pods pruned while it was being read, and says so", async () => {
    const root = tmp();
    const encryption = {
      transitKey: "captures",
      dataKey: Buffer.from(dataKey),
      wrappedKey: `vault:v1:${dataKey.toString("base64")}`,
    };
    const doomed = await captureVersion(root, COLS, [[100, "a"]], { at: hoursAgo(3), encryption });
    await captureVersion(
      root,
      COLS,
      [
        [101, "a"],
        [102, "b"],
      ],
      { at: hoursAgo(1), seq: 1 },
    );
    const full = specWithDefaults({ source: { captured }, schema, output: { claimName: "c", path: "p" } });
    const resolved = { modelDeployment: "penguins", uri: "pvc://capture/penguins", root };
    // Pruned between the listing and the read of its data: its key is unwrapped, then the folder is gone.
    const unwrap = async (key: string, wrapped: string) => {
      rmSync(doomed.dir, { recursive: true, force: true });
      return secrets.unwrapDataKey(key, wrapped);
    };
    const loaded = await loadCaptured(
      full.source.captured as NonNullable<typeof full.source.captured>,
      { resolved, unwrap, now: NOW },
      tmp(),
    );
    expect(loaded.files).toHaveLength(1);
    expect(loaded.pruned).toBe(1);
  });

  it("without captured rows: a note beside another source, TooFewRows alone", async () => {
    const root = tmp();
    await captureVersion(root, COLS, [[100, null]], { at: hoursAgo(1) });
    const merged = await prepare(root, { schema, source: { inline: { data: primaryCsv }, captured } });
    expect(merged.captured).toEqual({ rows: 0, versions: 1 });
    expect(merged.notes).toContainEqual(
      expect.stringMatching(/has no labelled rows in its 1 version younger than 168 hours/),
    );
    const alone = await failure(prepare(tmp(), { schema, source: { captured } }));
    expect(alone).toMatchObject({
      reason: "TooFewRows",
      message: expect.stringMatching(/has no version younger than 168 hours; wait for traffic/),
    });
    expect(readdirSync(root).length).toBe(1);
  });
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("prepare command: source.captured", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs in to Vault only when a captured version is encrypted (an unencrypted capture needs no role)", {
    timeout: 60_000,
  }, async () => {
    const root = tmp();
    await captureVersion(
      root,
      COLS,
      [
        [100, "a"],
        [101, "b"],
      ],
      { at: new Date() },
    );
    const dir = tmp();
    const token = path.join(dir, "token");
    writeFileSync(token, "a-projected-token");
    const env = {
      LIFTOFF_DATASET_SPEC: JSON.stringify({
        source: { captured },
        schema,
        split: all,
        output: { claimName: "c", path: "p" },
      }),
      LIFTOFF_CAPTURED_SOURCE: JSON.stringify({ modelDeployment: "penguins", uri: "pvc://capture/penguins", root }),
      LIFTOFF_VAULT_ADDR: `http://127.0.0.1:${await closedPort()}`,
      LIFTOFF_VAULT_ROLE: "liftoff-dataset",
      LIFTOFF_VAULT_TOKEN_FILE: token,
    };
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const args = (n: number) => ["--out", path.join(dir, `out${n}`), "--scratch", path.join(dir, `scratch${n}`)];
    expect(await prepareMain(args(1), env), lines.join("")).toBe(0);
    const encryption = { transitKey: "captures", dataKey: Buffer.from(dataKey), wrappedKey: "vault:v1:x" };
    await captureVersion(root, COLS, [[102, "a"]], { at: new Date(), seq: 1, encryption });
    lines.length = 0;
    expect(await prepareMain(args(2), env)).toBe(1); // retried: Vault may answer later
    expect(lines.join("")).toMatch(/prepare: VaultUnreachable: /);
  });
});
