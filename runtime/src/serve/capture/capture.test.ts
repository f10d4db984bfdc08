// Capture through real servers: `serve --capture` started as a pod runs it (raw records over HTTP, feedback, shutdown
// writes the rest), and the writer with encryption (a fake transit) and hashed pii, read back with the format module.
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { penguinsPreprocessing } from "../../../../test/support/penguins-preprocessing.js";
import { fetchArtifact } from "../../artifact.js";
import { listCaptureVersions, openCaptureVersion } from "../../capture/format.js";
import { type CaptureConfig, parseCaptureConfig } from "../../contract/capture.js";
import { parseBaseline } from "../monitoring/baseline.js";
import { rawRecordsFor } from "../raw-records.js";
import { startServe } from "../start.js";
import { mlp, saveLayersModel, serverFor, tempDir } from "../test-helpers.js";
import { CaptureBuffer } from "./buffer.js";
import { sampler } from "./sampler.js";
import { attachCapture, type PreparedCapture } from "./setup.js";
import { localCaptureStore } from "./store.js";

/** The penguins training data's stats.json: the baseline names the classes feedback labels are checked against. */
const STATS = fileURLToPath(new URL("../monitoring/testdata/penguins-stats.json", import.meta.url));
const PRE = penguinsPreprocessing(["email"]);
const COLUMNS = [
  { name: "island", type: "category" },
  { name: "bill_length_mm", type: "number" },
  { name: "email", type: "string" },
  { name: "name", type: "string" },
];

/** A penguins-shaped trained model: model.json + weights + the DataSet's preprocessing.json (raw records in). */
async function penguinsModel(): Promise<string> {
  const dir = path.join(await tempDir(), "claim", "models", "penguins");
  await mkdir(dir, { recursive: true });
  const modelJson = await saveLayersModel(mlp(4, 8, 3, 1), dir);
  await writeFile(path.join(dir, "preprocessing.json"), JSON.stringify(PRE));
  return modelJson;
}

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const rows = (
    await db.runAndReadAll(`SELECT * FROM read_parquet('${file}') ORDER BY bill_length_mm`)
  ).getRowObjectsJS();
  db.closeSync();
  return rows;
}

const row = (i: number) => ({
  island: ["Biscoe", "Dream", "Torgersen"][i % 3],
  bill_length_mm: 35 + i,
  email: `p${i}@example.com`,
  name: `Penguin ${i}`,
});

/** Polls `check` until it is true or the deadline passes (no fixed sleeps). */
async function until(check: () => Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

describe("serve --capture (a real server as the pod runs it)", { timeout: 60_000 }, () => {
  it("captures raw-record requests with their feedback labels and writes the rest at shutdown", async () => {
    const modelJson = await penguinsModel();
    const root = path.resolve(path.dirname(modelJson), "../../..");
    const capture = {
      uri: "pvc://claim/captures/penguins",
      target: "species",
      targetType: "category",
      columns: COLUMNS,
      pii: [{ column: "name", action: "drop" }],
      labelWaitSeconds: 3600,
      flushSeconds: 1,
      track: "canary",
    };
    const s = await startServe(
      [
        ...["--model-uri", "pvc://claim/models/penguins/model.json", "--pvc-root", root, "--model-name", "penguins"],
        ...["--host", "127.0.0.1", "--port", "0", "--backend", "cpu", "--log-level", "silent", "--feedback", "true"],
        ...["--baseline-uri", STATS],
      ],
      { LIFTOFF_CAPTURE: JSON.stringify(capture), HOSTNAME: "penguins-abc" },
    );
    try {
      // Ready only with the writer attached: no request is answered uncaptured (it once turned ready first).
      await until(async () => s.modelHost.ready, "ready");
      expect(s.modelHost.capture).toBeDefined();
      await s.loaded;
      const base = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}/v1/models/penguins`;
      const post = async (url: string, body: unknown) => {
        const r = await fetch(url, {
          method: "POST",
          body: JSON.stringify(body),
          headers: { "content-type": "application/json" },
        });
        expect(r.status, await r.clone().text()).toBe(200);
        return { id: r.headers.get("x-prediction-id") as string, body: (await r.json()) as { labels: string[] } };
      };
      const a = await post(`${base}:predict`, { instances: [row(0), row(1)] });
      const b = await post(`${base}:predict`, { instances: [row(2)] });
      await post(`${base}:feedback`, {
        instances: [
          { id: a.id, row: 0, label: "Adelie" },
          { id: a.id, row: 1, label: "Gentoo" },
        ],
      });
      // Feedback for an unknown id is refused as before, and counted.
      const unknown = await fetch(`${base}:feedback`, {
        method: "POST",
        body: JSON.stringify({ id: `${a.id.split(".")[0]}.nope`, label: "Adelie" }),
        headers: { "content-type": "application/json" },
      });
      expect(unknown.status).toBe(404);
      const metrics = await (
        await fetch(`http://127.0.0.1:${(s.app.server.address() as { port: number }).port}/metrics`)
      ).text();
      expect(metrics).toContain('liftoff_feedback_unknown_total{model="penguins"} 1');
      // The labelled request is written at the next flush (a second); the other waits for its label until shutdown.
      const dir = path.join(root, "claim", "captures", "penguins");
      await until(async () => (await listCaptureVersions(dir)).length === 1, "the labelled request's version");
      await s.shutdown();

      const versions = await listCaptureVersions(path.join(root, "claim", "captures", "penguins"));
      expect(versions.map((v) => v.pod)).toEqual(["penguins-abc", "penguins-abc"]);
      const scratch = await tempDir();
      const noKey = async (): Promise<Buffer> => {
        throw new Error("not encrypted");
      };
      const rows: Record<string, unknown>[] = [];
      for (const v of versions) rows.push(...(await readParquet(await openCaptureVersion(v, noKey, scratch))));
      expect(rows.map((r) => Object.keys(r))[0]).toEqual([
        "island",
        "bill_length_mm",
        "email",
        "species",
        "__prediction",
        "__prediction_id",
        "__captured_at",
        "__track",
        "__model_digest",
      ]);
      expect(rows.map((r) => r.species)).toEqual(["Adelie", "Gentoo", null]);
      expect(rows.map((r) => r.__prediction)).toEqual([...a.body.labels, ...b.body.labels]);
      expect(rows.map((r) => r.__prediction_id)).toEqual([a.id, a.id, b.id]);
      expect(rows.map((r) => r.bill_length_mm)).toEqual([35, 36, 37]);
      expect(rows[0]?.email).toBe("p0@example.com"); // not pii in this config: kept as sent
      expect(rows.every((r) => r.__track === "canary" && /^sha256:[0-9a-f]{64}$/.test(String(r.__model_digest)))).toBe(
        true,
      );
      expect(rows[0]?.__captured_at).toBeInstanceOf(Date);
    } finally {
      await s.close();
    }
  });

  it("refuses to start for a model with declared file preprocessing, naming the flag", async () => {
    const capture = { uri: "pvc://c/p", target: "t", columns: [{ name: "a", type: "number" }] };
    await expect(
      startServe(["--model-uri", "/nowhere/model.json", "--model-name", "m", "--model-format", "gguf", "--port", "0"], {
        LIFTOFF_CAPTURE: JSON.stringify(capture),
      }),
    ).rejects.toThrow(/--capture records tabular raw records; a gguf/);
    await expect(
      startServe(["--model-uri", "/nowhere/model.json", "--model-name", "m", "--port", "0"], {
        LIFTOFF_CAPTURE: JSON.stringify({ ...capture, sampleRate: 2 }),
      }),
    ).rejects.toThrow(/--capture: capture.sampleRate/);
  });
});

/** A server (inject) serving the penguins model with feedback, and a capture writer attached as serve does. */
async function capturing(config: Partial<CaptureConfig>, o: { salt?: Buffer; maxBufferedRows?: number } = {}) {
  const modelJson = await penguinsModel();
  const { app, modelHost, metrics } = await serverFor(modelJson, {
    name: "penguins",
    monitoring: {
      baseline: { baseline: parseBaseline(readFileSync(STATS, "utf8")) },
      options: {
        model: "penguins",
        windowSeconds: 60,
        slots: 10,
        feedback: true,
        predictionTtlSeconds: 60,
        predictionStoreRows: 1000,
        advertise: undefined,
      },
    },
  });
  apps.push(app);
  const artifact = await fetchArtifact({ kind: "file", path: modelJson }, undefined);
  modelHost.raw = rawRecordsFor(
    artifact.preprocessing,
    (modelHost.model as NonNullable<typeof modelHost.model>).signature,
  );
  const cfg = parseCaptureConfig(
    JSON.stringify({ uri: "pvc://c/captures", target: "species", columns: COLUMNS, flushSeconds: 3600, ...config }),
  );
  const root = await tempDir();
  const kek = randomBytes(32);
  // A fake transit: the wrapped key is the data key XOR a key-encryption key only it holds.
  const wrap = (k: Buffer) => `vault:v1:${Buffer.from(k.map((b, i) => b ^ (kek[i] as number))).toString("base64")}`;
  const unwrap = async (transitKey: string, wrapped: string) => {
    expect(transitKey).toBe("captures");
    const b = Buffer.from(wrapped.slice("vault:v1:".length), "base64");
    return Buffer.from(b.map((x, i) => x ^ (kek[i] as number)));
  };
  const prepared: PreparedCapture = {
    config: cfg,
    pod: "penguins-0",
    scratch: await tempDir(),
    salts: new Map(cfg.pii.filter((p) => p.action === "hash").map((p) => [p.column, o.salt ?? Buffer.from("salt")])),
    keys: cfg.encryption
      ? {
          generate: async () => {
            const dataKey = randomBytes(32);
            return { dataKey, wrappedKey: wrap(dataKey) };
          },
        }
      : undefined,
    store: localCaptureStore(cfg.uri, root, "penguins-0", {
      maxBytes: cfg.maxBytes,
      retentionHours: cfg.retentionHours,
    }),
  };
  const log = { info: () => {}, warn: (m: string) => console.warn(m) };
  const writer = await attachCapture(prepared, modelHost, metrics.registry, true, log, o.maxBufferedRows);
  modelHost.capture = writer;
  const predict = async (instances: unknown[]) => {
    const r = await app.inject({ method: "POST", url: "/v1/models/penguins:predict", payload: { instances } });
    expect(r.statusCode, r.body).toBe(200);
    return { id: r.headers["x-prediction-id"] as string, labels: r.json().labels as string[] };
  };
  const read = async () => {
    const out: Record<string, unknown>[] = [];
    for (const v of await listCaptureVersions(root))
      out.push(...(await readParquet(await openCaptureVersion(v, unwrap, await tempDir()))));
    return out;
  };
  return { app, writer, predict, read, root, metrics: async () => (await app.inject({ url: "/metrics" })).body };
}

describe("the capture writer", { timeout: 60_000 }, () => {
  it("encrypts each version and hashes pii exactly as prepare's hashPII (HMAC-SHA-256 hex) and drops the others", async () => {
    const salt = Buffer.from("pepper-from-vault");
    const c = await capturing(
      {
        encryption: { transitKey: "captures" },
        pii: [
          { column: "email", action: "hash", saltVaultPath: "secret/data/salt", saltVaultKey: "salt" },
          { column: "name", action: "drop" },
        ],
        labelWaitSeconds: 0,
      },
      { salt },
    );
    const p = await c.predict([row(0), row(1), row(2)]);
    await c.writer.flush();
    const rows = await c.read();
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.email)).toEqual(
      [0, 1, 2].map((i) => createHmac("sha256", salt).update(`p${i}@example.com`).digest("hex")),
    );
    expect(rows.every((r) => !("name" in r))).toBe(true);
    expect(rows.map((r) => r.__prediction)).toEqual(p.labels);
    expect(await c.metrics()).toContain('liftoff_capture_records_total{model="penguins",outcome="written"} 3');
    expect(await c.metrics()).toContain('liftoff_capture_versions_total{model="penguins"} 1');
    await c.writer.stop();
  });

  it("holds a row for its label until labelWaitSeconds, then writes it labelled", async () => {
    const c = await capturing({ labelWaitSeconds: 3600 });
    const p = await c.predict([row(4)]);
    await c.writer.flush();
    expect(await c.read()).toEqual([]); // still waiting for its label
    const fb = await c.app.inject({
      method: "POST",
      url: "/v1/models/penguins:feedback",
      payload: { id: p.id, label: "Chinstrap" },
    });
    expect(fb.statusCode).toBe(200);
    await c.writer.flush(); // labelled: written now, without waiting out labelWaitSeconds
    expect((await c.read()).map((r) => r.species)).toEqual(["Chinstrap"]);
    await c.writer.stop();
  });

  it("drops requests beyond the buffer (counted) instead of waiting", async () => {
    const small = await capturing({ labelWaitSeconds: 3600 }, { maxBufferedRows: 2 });
    await small.predict([row(0), row(1)]);
    await small.predict([row(2)]); // no room: dropped
    expect(await small.metrics()).toContain('liftoff_capture_records_total{model="penguins",outcome="dropped_full"} 1');
    await small.writer.stop();
    expect(await small.read()).toHaveLength(2);
  });

  it("refuses a model that takes tensors only", async () => {
    const modelJson = await saveLayersModel(mlp(3, 4, 3, 1), await tempDir());
    const { app, modelHost, metrics } = await serverFor(modelJson);
    apps.push(app);
    const cfg = parseCaptureConfig(
      JSON.stringify({ uri: "pvc://c/x", target: "t", columns: [{ name: "a", type: "number" }] }),
    );
    const prepared = {
      config: cfg,
      pod: "p",
      scratch: await tempDir(),
      salts: new Map(),
      keys: undefined,
      store: localCaptureStore(cfg.uri, await tempDir(), "p", { maxBytes: 1 << 20, retentionHours: 1 }),
    };
    await expect(attachCapture(prepared, modelHost, metrics.registry, false, console)).rejects.toThrow(
      /needs a model that takes raw records/,
    );
  });
});

describe("capture parts", () => {
  it("the buffer returns labelled and aged requests, keeps the others, and is bounded", () => {
    const out = { data: new Float32Array(3), shape: [1, 3], dtype: "float32" as const };
    const b = new CaptureBuffer(4, true);
    expect(b.add("a", [{}], out, 0)).toBe(true);
    expect(b.add("b", [{}], out, 50)).toBe(true);
    expect(b.add("c", [{}, {}, {}], out, 60)).toBe(false); // would hold 5 rows
    expect(b.label("b", 0, "x")).toBe(true);
    expect(b.label("b", 0, "y")).toBe(false); // once per row
    expect(b.take(70, 100).map((e) => e.id)).toEqual(["b"]);
    expect(b.take(100, 100).map((e) => e.id)).toEqual(["a"]);
    expect(b.size).toBe(0);
    // More than half full: the oldest go unlabelled, so that new requests still find room.
    for (const id of ["d", "e", "f"]) b.add(id, [{}], out, 200);
    expect(b.take(201, 100).map((e) => e.id)).toEqual(["d"]);
  });

  it("the sampler keeps about its rate, the same way for the same pod", () => {
    const pick = (seed: string) => {
      const s = sampler(0.3, seed);
      return Array.from({ length: 10_000 }, () => s());
    };
    const a = pick("pod-a");
    const kept = a.filter(Boolean).length;
    expect(kept).toBeGreaterThan(2700);
    expect(kept).toBeLessThan(3300);
    expect(pick("pod-a")).toEqual(a);
    expect(pick("pod-b")).not.toEqual(a);
  });
});
