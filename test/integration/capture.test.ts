// ModelDeployment spec.capture on the local cluster: the operator builds LIFTOFF_CAPTURE from the DataSet's schema
// (columns, target, the hashed and dropped pii columns), mounts the capture claim read-write and gives the serving pod
// its Vault identity; the real runtime logs in to the cluster's OpenBao, reads the salt, mints a data key per version
// from transit and writes encrypted Parquet versions with the feedback labels joined. Read back here with the format
// module, the data key unwrapped with the admin token.
import { createHmac } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { listCaptureVersions, openCaptureVersion } from "../../runtime/src/capture/format.js";
import { mlp, saveLayersModel } from "../../runtime/src/serve/test-helpers.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { penguinsPreprocessing } from "../support/penguins-preprocessing.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const vault = testVault(inject("clusterName"));
const fx = operatorFixture(admin, "capture", {
  flags: async () => [
    "--leader-elect=false",
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
    "--monitoring-period=2",
    ...(await reportFlags(inject("clusterName"))),
  ],
});
const core = admin.makeApiClient(CoreV1Api);
const custom = admin.makeApiClient(CustomObjectsApi);
const STATS = join(REPO_ROOT, "runtime/src/serve/monitoring/testdata/penguins-stats.json");
const SALT = "capture-test-salt";

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const rows = (await db.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
  db.closeSync();
  return rows;
}

describe("spec.capture with the real runtime, operator and OpenBao", () => {
  it("writes encrypted versions with hashed pii and the feedback label joined by prediction id", {
    timeout: 300_000,
  }, async () => {
    const ns = fx.ns.name;
    const saltPath = `secret/data/${ns}/salt`;
    const transitKey = `capture-${ns}`;
    await vault.putKv(saltPath, { salt: SALT });
    await vault.createTransitKey(transitKey);
    await vault.createRole({
      name: `liftoff-${ns}-penguins`,
      namespace: ns,
      serviceAccount: "penguins-runtime",
      kvPaths: [saltPath],
      datakeyKeys: [transitKey],
      decryptKeys: [transitKey],
      namespaceKv: false,
    });
    // A model trained on penguins' raw records: model.json, preprocessing.json (raw records in) and stats.json.
    const models = await claimHostFolder(admin, ns, "models");
    const dir = join(models, "penguins");
    mkdirSync(dir, { recursive: true });
    await saveLayersModel(mlp(4, 8, 3, 1), dir);
    writeFileSync(join(dir, "preprocessing.json"), JSON.stringify(penguinsPreprocessing(["email"])));
    copyFileSync(STATS, join(dir, "stats.json"));
    const captures = await claimHostFolder(admin, ns, "captures");
    // The DataSet whose schema the captured rows follow (only its spec is read here).
    await custom.createNamespacedCustomObject({
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: ns,
      plural: "datasets",
      body: {
        apiVersion: "liftoff.dev/v1alpha1",
        kind: "DataSet",
        metadata: { name: "penguins", namespace: ns },
        spec: {
          source: { inline: { data: "island,bill_length_mm,email,name,species\nDream,40,a@b,Al,Adelie\n" } },
          schema: {
            target: "species",
            columns: [
              { name: "island", type: "category" },
              { name: "bill_length_mm", type: "number" },
              { name: "email", type: "string", pii: true },
              { name: "name", type: "string", pii: true },
              { name: "species", type: "category" },
            ],
          },
          transforms: [
            { type: "hashPII", columns: ["email"], saltSecret: { path: saltPath, key: "salt" } },
            { type: "dropColumns", columns: ["name"] },
          ],
          output: { claimName: "data", path: "penguins" },
        },
      },
    });
    await createModelDeployment(admin, ns, "penguins", {
      model: { uri: "pvc://models/penguins/model.json" },
      resources: { cpu: "250m", memory: "512Mi" },
      monitoring: { drift: {}, feedback: true },
      capture: {
        uri: "pvc://captures/penguins",
        dataSetRef: { name: "penguins" },
        flushSeconds: 1,
        labelWaitSeconds: 60,
        encryption: { transitKey },
      },
    });
    const m = await pollUntil(
      "Ready",
      async () => {
        const x = await getModelDeployment(admin, ns, "penguins");
        const ready = cond(x, "Ready");
        if (ready?.status !== "True") throw new Error(`Ready ${ready?.status} ${ready?.reason}: ${ready?.message}`);
        return x;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(m.status.readyReplicas).toBe(1);
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "liftoff.dev/modeldeployment=penguins" });
    const url = `http://${pods.items[0]?.status?.podIP}:8080`;

    const records = [
      { island: "Dream", bill_length_mm: 40, email: "ann@example.com", name: "Ann" },
      { island: "Biscoe", bill_length_mm: 50, email: "bob@example.com", name: "Bob" },
    ];
    const r = await fetch(`${url}/v1/models/penguins:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: records }),
    });
    expect(r.status).toBe(200);
    const id = r.headers.get("x-prediction-id") as string;
    const { labels } = (await r.json()) as { labels: string[] };
    const fb = await fetch(`${url}/v1/models/penguins:feedback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        instances: [
          { id, row: 0, label: "Chinstrap" },
          { id, row: 1, label: "Gentoo" },
        ],
      }),
    });
    expect(fb.status).toBe(200);

    // Fully labelled: written at the next flush (a second), without waiting out labelWaitSeconds.
    const unwrap = async (key: string, wrapped: string) => {
      const res = (await vault.admin.write(`transit/decrypt/${key}`, { ciphertext: wrapped })) as {
        data?: { plaintext?: string };
      };
      return Buffer.from(res.data?.plaintext ?? "", "base64");
    };
    const scratch = mkdtempSync(join(tmpdir(), "liftoff-capture-it-"));
    const rows = await pollUntil(
      "a capture version with the two rows",
      async () => {
        const versions = await listCaptureVersions(join(captures, "penguins"));
        const all: Record<string, unknown>[] = [];
        for (const v of versions) all.push(...(await readParquet(await openCaptureVersion(v, unwrap, scratch))));
        if (all.length >= 2) return all;
        // What the pod says it did, for the timeout's message.
        const text = await (await fetch(`${url}/metrics`)).text();
        throw new Error(
          text
            .split("\n")
            .filter((l) => l.startsWith("liftoff_capture"))
            .join("; "),
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const versions = await listCaptureVersions(join(captures, "penguins"));
    expect(versions[0]?.pod).toBe(pods.items[0]?.metadata?.name);
    expect(rows.map((x) => x.species)).toEqual(["Chinstrap", "Gentoo"]);
    expect(rows.map((x) => x.__prediction)).toEqual(labels);
    expect(rows.map((x) => x.__prediction_id)).toEqual([id, id]);
    expect(rows.map((x) => x.email)).toEqual(
      records.map((x) => createHmac("sha256", SALT).update(x.email).digest("hex")),
    );
    expect(rows.every((x) => !("name" in x) && x.__track === "stable")).toBe(true);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('liftoff_capture_records_total{model="penguins",outcome="written"} 2');
  });
});
