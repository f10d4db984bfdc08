// Drift counts and feedback through the real server (inject), with the penguin-shaped stats.json fixture.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { TokenSet } from "../auth.js";
import { mlp, saveLayersModel, serverFor, tempDir } from "../test-helpers.js";
import { parseBaseline } from "./baseline.js";
import type { MonitoringSnapshot } from "./monitor.js";

const stats = readFileSync(new URL("./testdata/penguins-stats.json", import.meta.url), "utf8");
const CLASSES = ["Adelie", "Chinstrap", "Gentoo"];
let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

async function server(
  opts: { feedback?: boolean; baseline?: boolean; maxRows?: number; advertise?: string; tokens?: string[] } = {},
) {
  const model = await saveLayersModel(mlp(3, 4, 3, 1), await tempDir());
  const { app, modelHost } = await serverFor(model, {
    ...(opts.tokens ? { auth: new TokenSet(opts.tokens) } : {}),
    monitoring: {
      baseline: opts.baseline === false ? undefined : { baseline: parseBaseline(stats) },
      options: {
        model: "m",
        windowSeconds: 60,
        slots: 10,
        feedback: opts.feedback ?? true,
        predictionTtlSeconds: 60,
        predictionStoreRows: opts.maxRows ?? 1000,
        advertise: opts.advertise,
      },
    },
  });
  apps.push(app);
  return { app, modelHost };
}

const predict = async (app: FastifyInstance, rows: number[][]) => {
  const r = await app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: rows } });
  expect(r.statusCode).toBe(200);
  const classes = (r.json().predictions as number[][]).map((p) => p.indexOf(Math.max(...p)));
  return { id: r.headers["x-prediction-id"] as string, classes };
};

describe("drift counts", () => {
  it("counts each input column in its baseline bins, and the predicted class, in /monitoring and /metrics", async () => {
    const { app } = await server({ feedback: false });
    const { id, classes } = await predict(app, [
      [30, 15, 200],
      [60, 15.1, 200],
    ]);
    expect(id).toBeUndefined(); // no feedback: no ids
    const snap = (await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot;
    expect(snap.drift?.rows).toBe(2);
    const f = Object.fromEntries((snap.drift?.features ?? []).map((x) => [x.name, x]));
    expect(f.bill_length_mm?.counts).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // 30 → first bin, 60 → last
    expect(f.bill_depth_mm?.counts[1]).toBe(1); // 15 is in (14.3, 15.0]
    expect(f.bill_depth_mm?.counts[2]).toBe(1);
    const predicted = f.species;
    expect(predicted?.source).toBe("prediction");
    expect(predicted?.counts.reduce((a, b) => a + b, 0)).toBe(2);
    for (const c of classes) expect(predicted?.counts[c]).toBeGreaterThan(0);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain(
      'liftoff_drift_observations_total{model="m",source="input",feature="bill_length_mm",bin="9"} 1',
    );
    expect(metrics).toContain(
      'liftoff_drift_observations_total{model="m",source="input",feature="bill_length_mm",bin="5"} 0',
    );
    expect(metrics).toContain(
      'liftoff_drift_baseline_ratio{model="m",source="prediction",feature="species",bin="0"} 0.44',
    );
  });

  it("finding: the drift metrics' bin labels are bin indexes, never category values", async () => {
    const { app } = await server({ feedback: false });
    await predict(app, [[40, 17, 190]]);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    const bins = [...metrics.matchAll(/^liftoff_drift_\w+\{[^}]*bin="([^"]*)"/gm)].map((m) => m[1]);
    expect(bins.length).toBeGreaterThan(0);
    for (const b of bins) expect(b).toMatch(/^\d+$/);
    for (const c of CLASSES) expect(metrics).not.toContain(`bin="${c}"`);
    // /monitoring (behind the key with auth on) still names the categories, for the operator and people.
    const snap = (await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot;
    expect(snap.drift?.features.find((f) => f.name === "species")?.labels).toEqual([...CLASSES, "__other__"]);
  });

  it("reports why drift is off when the baseline could not be read", async () => {
    const model = await saveLayersModel(mlp(3, 4, 3, 1), await tempDir());
    const { app } = await serverFor(model, {
      monitoring: {
        baseline: { error: "cannot read the baseline stats.json: ENOENT" },
        options: {
          model: "m",
          windowSeconds: 60,
          slots: 10,
          feedback: false,
          predictionTtlSeconds: 1,
          predictionStoreRows: 1,
          advertise: undefined,
        },
      },
    });
    apps.push(app);
    const snap = (await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot;
    expect(snap.baseline).toEqual({ configured: true, error: "cannot read the baseline stats.json: ENOENT" });
    expect(snap.drift).toBeUndefined();
  });
});

describe("serving counts", () => {
  it("counts answered inference requests and their latency in /monitoring, not bad requests", async () => {
    const { app } = await server({ feedback: false });
    await predict(app, [[40, 17, 190]]);
    await predict(app, [[45, 18, 200]]);
    const bad = await app.inject({ method: "POST", url: "/v1/models/m:predict", payload: { instances: "x" } });
    expect(bad.statusCode).toBe(400);
    const snap = (await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot;
    expect([snap.serving.requests, snap.serving.errors]).toEqual([2, 0]);
    expect(snap.serving.latencyMs.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(snap.serving.latencyMs.counts).toHaveLength(snap.serving.latencyMs.bounds.length + 1);
  });
});

describe("feedback", () => {
  it("matches V1 and V2 feedback to predictions and computes the live figures", async () => {
    const { app } = await server();
    const { id, classes } = await predict(app, [
      [40, 17, 190],
      [50, 15, 220],
    ]);
    expect(id).toMatch(/^self\./);
    const right = CLASSES[classes[0] as number];
    const wrong = CLASSES[((classes[1] as number) + 1) % 3];
    const v1 = await app.inject({
      method: "POST",
      url: "/v1/models/m:feedback",
      payload: { instances: [{ id, row: 0, label: right }] },
    });
    expect(v1.statusCode).toBe(200);
    expect(v1.json()).toEqual({ accepted: 1 });
    const v2 = await app.inject({
      method: "POST",
      url: "/v2/models/m/feedback",
      payload: {
        inputs: [
          { name: "id", datatype: "BYTES", shape: [1], data: [id] },
          { name: "row", datatype: "INT32", shape: [1], data: [1] },
          { name: "label", datatype: "BYTES", shape: [1], data: [wrong] },
        ],
      },
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toEqual({ model_name: "m", accepted: 1 });
    const q = ((await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot).quality;
    expect(q && "classification" in q ? q.classification.accuracy : undefined).toBe(0.5);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain('liftoff_model_accuracy{model="m"} 0.5');
    expect(metrics).toMatch(
      new RegExp(`liftoff_feedback_class_total\\{model="m",actual="${right}",predicted="${right}",correct="true"\\} 1`),
    );
    expect(metrics).toContain('liftoff_feedback_total{model="m"} 2');
  });

  it("answers bad feedback with a clear 4xx and counts nothing", async () => {
    const { app } = await server();
    const { id } = await predict(app, [[40, 17, 190]]);
    const send = (payload: unknown) =>
      app.inject({ method: "POST", url: "/v1/models/m:feedback", payload: payload as object });
    const cases: [unknown, number, string | RegExp][] = [
      [
        { instances: [{ id: "self.nope", label: "Adelie" }] },
        404,
        "prediction 'self.nope' is unknown or expired (predictions are kept 60 s)",
      ],
      [
        { instances: [{ id, label: "Emperor" }] },
        400,
        "label 'Emperor' is not a class of this model; use one of Adelie, Chinstrap, Gentoo",
      ],
      [{ instances: [{ id, row: 3, label: "Adelie" }] }, 400, `prediction '${id}' has 1 rows; row 3 does not exist`],
      [{ instances: [{ id }] }, 400, "instances[0] lacks 'label', the true value"],
      [{ instances: [] }, 400, "feedback is empty"],
      [{ instances: [{ id, label: "Adelie", extra: 1 }] }, 400, "instances[0] has unknown field 'extra'"],
      // Someone else's id whose owner is not on this pod's network is not forwarded anywhere.
      [
        { instances: [{ id: `${Buffer.from("8.8.8.8:80").toString("base64url")}.x`, label: "Adelie" }] },
        404,
        /unknown or expired/,
      ],
    ];
    for (const [payload, code, message] of cases) {
      const r = await send(payload);
      expect([r.statusCode, r.json().error]).toEqual([
        code,
        typeof message === "string" ? message : expect.stringMatching(message),
      ]);
    }
    expect((await send({ instances: [{ id, label: "Adelie" }] })).statusCode).toBe(200);
    const twice = await send({ instances: [{ id, label: "Adelie" }] });
    expect([twice.statusCode, twice.json().error]).toEqual([409, `prediction '${id}' row 0 already has feedback`]);
    const q = ((await app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot).quality;
    expect(q && "classification" in q ? q.classification.n : undefined).toBe(1);
  });

  it("drops and counts unknown ids in a batch, keeping its known labels; a batch of only unknown ids is a 404", async () => {
    const { app } = await server();
    const { id } = await predict(app, [[40, 17, 190]]);
    const send = (instances: object[]) =>
      app.inject({ method: "POST", url: "/v1/models/m:feedback", payload: { instances } });
    const mixed = await send([
      { id, label: "Adelie" },
      { id: "self.expired", label: "Adelie" },
    ]);
    expect([mixed.statusCode, mixed.json()]).toEqual([200, { accepted: 1, unknown: 1 }]);
    const only = await send([{ id: "self.gone", label: "Gentoo" }]);
    expect([only.statusCode, only.json().code]).toEqual([404, "LIFTOFF_ERR_PREDICTION_NOT_FOUND"]);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain('liftoff_feedback_unknown_total{model="m"} 2');
    expect(metrics).toContain('liftoff_feedback_total{model="m"} 1');
  });

  it("is refused when feedback is off", async () => {
    const { app } = await server({ feedback: false });
    const r = await app.inject({ method: "POST", url: "/v2/models/m/feedback", payload: { inputs: [] } });
    expect(r.statusCode).toBe(400);
    const ok = await app.inject({
      method: "POST",
      url: "/v2/models/m/feedback",
      payload: {
        inputs: [
          { name: "id", data: ["x"] },
          { name: "label", data: ["Adelie"] },
        ],
      },
    });
    expect([ok.statusCode, ok.json().error]).toEqual([
      404,
      "feedback is not enabled for model 'm' (spec.monitoring.feedback)",
    ]);
  });

  it("is refused as off, not as unready, when the model is served without any monitoring", async () => {
    const { app } = await serverFor(await saveLayersModel(mlp(3, 4, 3, 1), await tempDir()));
    apps.push(app);
    expect((await app.inject({ url: "/v2/health/ready" })).statusCode).toBe(200);
    const feedback = [
      { method: "POST" as const, url: "/v1/models/m:feedback", payload: { instances: [{ id: "x", label: "Adelie" }] } },
      {
        method: "POST" as const,
        url: "/v2/models/m/feedback",
        payload: {
          inputs: [
            { name: "id", data: ["x"] },
            { name: "label", data: ["Adelie"] },
          ],
        },
      },
    ];
    for (const req of feedback) {
      const r = await app.inject(req);
      expect([r.statusCode, r.json().code]).toEqual([404, "LIFTOFF_ERR_FEEDBACK_DISABLED"]);
    }
    // Nothing to report: /monitoring stays 503 (docs/monitoring.md says so).
    expect((await app.inject({ url: "/monitoring" })).statusCode).toBe(503);
  });

  it("forwards feedback that reached another replica to the one that made the prediction", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const a = await server({ advertise: `127.0.0.2:${port}` });
    const b = await server({ advertise: `127.0.0.3:${port}` });
    await a.app.listen({ host: "127.0.0.2", port });
    await b.app.listen({ host: "127.0.0.3", port });
    const { id, classes } = await predict(a.app, [[40, 17, 190]]);
    const r = await b.app.inject({
      method: "POST",
      url: "/v1/models/m:feedback",
      payload: { instances: [{ id, label: CLASSES[classes[0] as number] }] },
    });
    expect([r.statusCode, r.json()]).toEqual([200, { accepted: 1 }]);
    const qa = ((await a.app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot).quality;
    const qb = ((await b.app.inject({ url: "/monitoring" })).json() as MonitoringSnapshot).quality;
    expect(qa && "classification" in qa ? qa.classification.accuracy : undefined).toBe(1);
    expect(qb && "classification" in qb ? qb.classification.n : undefined).toBe(0);
  });

  it("finding: feedback for a prediction is accepted only with the key that made it", async () => {
    const { app } = await server({ tokens: ["alice-key", "mallory-key"] });
    const r = await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: { instances: [[40, 17, 190]] },
      headers: { authorization: "Bearer alice-key" },
    });
    const id = r.headers["x-prediction-id"] as string;
    const give = (key: string) =>
      app.inject({
        method: "POST",
        url: "/v1/models/m:feedback",
        payload: { instances: [{ id, label: "Adelie" }] },
        headers: { authorization: `Bearer ${key}` },
      });
    const other = await give("mallory-key");
    expect([other.statusCode, other.json().code]).toEqual([404, "LIFTOFF_ERR_PREDICTION_NOT_FOUND"]);
    const own = await give("alice-key");
    expect([own.statusCode, own.json()]).toEqual([200, { accepted: 1 }]);
  });

  it("a key sent as X-API-Key (behind the API server's proxy) is the same caller as the bearer token", async () => {
    const { app } = await server({ tokens: ["alice-key", "mallory-key"] });
    const r = await app.inject({
      method: "POST",
      url: "/v1/models/m:predict",
      payload: { instances: [[40, 17, 190]] },
      headers: { "x-api-key": "alice-key" },
    });
    expect(r.statusCode, r.body).toBe(200);
    const id = r.headers["x-prediction-id"] as string;
    const give = (headers: Record<string, string>) =>
      app.inject({
        method: "POST",
        url: "/v1/models/m:feedback",
        payload: { instances: [{ id, label: "Adelie" }] },
        headers,
      });
    const other = await give({ "x-api-key": "mallory-key" });
    expect([other.statusCode, other.json().code]).toEqual([404, "LIFTOFF_ERR_PREDICTION_NOT_FOUND"]);
    const own = await give({ authorization: "Bearer alice-key" });
    expect([own.statusCode, own.json()]).toEqual([200, { accepted: 1 }]);
    const keyed = await app.inject({ url: "/monitoring", headers: { "x-api-key": "alice-key" } });
    expect(keyed.statusCode).toBe(200);
  });

  it("finding: /monitoring needs a key when auth is on", async () => {
    const { app } = await server({ tokens: ["alice-key"] });
    const anonymous = await app.inject({ url: "/monitoring" });
    expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, "LIFTOFF_ERR_UNAUTHENTICATED"]);
    expect(anonymous.body).not.toContain("Adelie"); // no top category, no decile edge
    const wrong = await app.inject({ url: "/monitoring", headers: { authorization: "Bearer guess" } });
    expect(wrong.statusCode).toBe(401);
    const keyed = await app.inject({ url: "/monitoring", headers: { authorization: "Bearer alice-key" } });
    expect(keyed.statusCode).toBe(200);
    expect((keyed.json() as MonitoringSnapshot).drift?.features.length).toBeGreaterThan(0);
    // What kubelet and Prometheus read stays open.
    expect((await app.inject({ url: "/metrics" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/v2/health/live" })).statusCode).toBe(200);
  });
});
