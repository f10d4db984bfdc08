// `kubectl liftoff predict` and `kubectl liftoff drift` against the penguins pipeline on the local cluster: records
// go through the API server's service proxy with the API key from the cluster's OpenBao (the user's own Vault login:
// VAULT_ADDR/VAULT_TOKEN/VAULT_CACERT) or from --key-file; drift reads each ready pod's /monitoring through the pods
// proxy. Structure is asserted (columns, species names, features, order, the one-line errors), never timings.
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection } from "../../devcluster/openbao/openbao.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import type { LabelledRecord } from "../../hack/demo/test-split.js";
import { kubeConfig } from "../support/kube.js";
import { kubectlLiftoff, type PenguinsPipeline, penguinsPipeline } from "../support/plugin.js";

const kubeconfig = inject("kubeconfig");
const kubectl = inject("kubectl");
const clusterName = inject("clusterName");
const kc = kubeConfig(kubeconfig);
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];

let pipe: PenguinsPipeline;
let ns: string;
let records: LabelledRecord[];
let vaultEnv: NodeJS.ProcessEnv;
/** No Vault login anywhere: no VAULT_ or BAO_ variables and a HOME without ~/.vault-token. */
let noVaultEnv: NodeJS.ProcessEnv;
const dir = mkdtempSync(join(tmpdir(), "liftoff-plugin-serve-"));

/** With LIFTOFF_PLUGIN_CAPTURE=DIR, each command's line and output are appended to DIR/serve.txt (for the docs). */
const CAPTURE = process.env.LIFTOFF_PLUGIN_CAPTURE;

async function run(args: string[], env: NodeJS.ProcessEnv = vaultEnv) {
  const r = await kubectlLiftoff([...args, "-n", ns], { kubectl, kubeconfig, env, timeoutMs: 90_000 });
  if (CAPTURE)
    appendFileSync(join(CAPTURE, "serve.txt"), `$ kubectl liftoff ${args.join(" ")}\n${r.stdout}${r.stderr}\n`);
  return r;
}

/** The one line a failing command prints: `error: …; …`, nothing else. */
function oneLineError(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: .+; .+/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0] as string;
}

beforeAll(async () => {
  pipe = await penguinsPipeline(kc, "plugin-serve", { clusterName, kubeconfig, kubectl });
  ns = pipe.namespace;
  records = pipe.results.get("testRecords") as LabelledRecord[];
  const config = clusterConfig(clusterName);
  const conn = readVaultConnection(config);
  const secrets = readInitSecrets(openbaoLayout(config));
  if (!secrets) throw new Error("the test cluster's OpenBao is not initialised");
  const blank = { VAULT_ADDR: "", VAULT_TOKEN: "", VAULT_CACERT: "", BAO_ADDR: "", BAO_TOKEN: "", HOME: dir };
  vaultEnv = { ...blank, VAULT_ADDR: conn.address, VAULT_TOKEN: secrets.rootToken, VAULT_CACERT: conn.caFile };
  noVaultEnv = blank;
}, 600_000);

afterAll(async () => {
  await pipe?.close();
});

const ISLAND_RECORD =
  "island=Biscoe,bill_length_mm=47.5,bill_depth_mm=14.2,flipper_length_mm=215,body_mass_g=5300,sex=male";

describe("kubectl liftoff predict", () => {
  it("sends --record records through the service proxy with the key from Vault and prints a table", async () => {
    const second =
      "island=Torgersen,bill_length_mm=38.9,bill_depth_mm=17.8,flipper_length_mm=181,body_mass_g=3625,sex=female";
    const r = await run(["predict", "mdep/penguins", "--record", ISLAND_RECORD, "--record", second]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    expect(header?.split(/\s{3,}/)).toEqual([
      "ISLAND",
      "BILL_LENGTH_MM",
      "BILL_DEPTH_MM",
      "FLIPPER_LENGTH_MM",
      "BODY_MASS_G",
      "SEX",
      "PREDICTED",
      "PROBABILITY",
    ]);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cells = row.split(/\s{3,}/);
      expect(SPECIES).toContain(cells[6]);
      expect(Number(cells[7])).toBeGreaterThan(0.3);
      expect(Number(cells[7])).toBeLessThanOrEqual(1);
    }
    expect(rows[0]).toMatch(/^Biscoe\s/);
  });

  it("sends a CSV of the test split with --key-file and predicts each row's species", async () => {
    const cols = Object.keys(records[0]?.record ?? {});
    const csv = [cols.join(","), ...records.map((r) => cols.map((c) => String(r.record[c] ?? "")).join(","))].join(
      "\n",
    );
    const file = join(dir, "penguins.csv");
    writeFileSync(file, `${csv}\n`);
    const keyFile = join(dir, "key.txt");
    writeFileSync(keyFile, `${pipe.results.get("apiKey") as string}\n`);
    const r = await run(["predict", "mdep/penguins", "-f", file, "--key-file", keyFile], noVaultEnv);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    expect(header?.split(/\s{3,}/)).toEqual([...cols.map((c) => c.toUpperCase()), "PREDICTED", "PROBABILITY"]);
    expect(rows).toHaveLength(records.length);
    const predicted = rows.map((row) => row.split(/\s{3,}/)[cols.length]);
    for (const p of predicted) expect(SPECIES).toContain(p);
    // The trained model gets most of its own test split right (the demo reports its accuracy).
    const right = predicted.filter((p, i) => p === records[i]?.label).length;
    expect(right / records.length).toBeGreaterThan(0.8);
  });

  it("-o json gives the server's answer and the prediction id", async () => {
    const r = await run(["predict", "mdep/penguins", "--record", ISLAND_RECORD, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      predictionId: string;
      response: { predictions: number[][]; labels: string[] };
    };
    expect(out.predictionId).toMatch(/\S+/);
    expect(out.response.predictions[0]).toHaveLength(3);
    expect(SPECIES).toContain(out.response.labels[0]);
  });

  it("without a Vault login or --key-file: one line saying what to set", async () => {
    const line = oneLineError(await run(["predict", "mdep/penguins", "--record", ISLAND_RECORD], noVaultEnv));
    expect(line).toMatch(/^error: no Vault login to read the API key of modeldeployment\/penguins/);
    expect(line).toContain("set VAULT_ADDR and VAULT_TOKEN");
    expect(line).toContain("--key-file");
  });

  it("a wrong key: the model server's 401 as one line", async () => {
    const keyFile = join(dir, "wrong.txt");
    writeFileSync(keyFile, "lk_not-the-key\n");
    const line = oneLineError(
      await run(["predict", "mdep/penguins", "--record", ISLAND_RECORD, "--key-file", keyFile], noVaultEnv),
    );
    expect(line).toMatch(/refused the API key \(HTTP 401 LIFTOFF_ERR_UNAUTHENTICATED/);
  });

  it("bad input: an unknown name, a records file that is not there, no cluster reachable", async () => {
    const unknown = oneLineError(await run(["predict", "mdep/nope", "--record", ISLAND_RECORD]));
    expect(unknown).toMatch(/modeldeployment "nope" in namespace .* not found/);
    const missing = oneLineError(await run(["predict", "mdep/penguins", "-f", join(dir, "absent.csv")]));
    expect(missing).toMatch(/cannot read .*absent\.csv \(ENOENT\)/);
    // No cluster reachable: a kubeconfig whose server nobody listens on.
    const dead = join(dir, "dead-kubeconfig");
    writeFileSync(
      dead,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1'}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]",
        "current-context: dead",
      ].join("\n"),
    );
    for (const cmd of [
      ["predict", "mdep/penguins", "--record", ISLAND_RECORD],
      ["drift", "mdep/penguins"],
    ]) {
      const r = await kubectlLiftoff([...cmd, "-n", ns], {
        kubectl,
        kubeconfig: dead,
        env: vaultEnv,
        timeoutMs: 60_000,
      });
      expect(oneLineError(r)).toMatch(/^error: no cluster reachable at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); /);
    }
  });
});

interface DriftJson {
  threshold: number;
  windowSeconds: number;
  features: { name: string; source: string; psi: number; drifted: boolean; baseline: number[]; live: number[] }[];
  quality?: { task: string; feedback: number; accuracy?: number; classes?: { class: string }[] };
}

describe("kubectl liftoff drift", () => {
  it("shows every input feature with its histograms and score, worst first", async () => {
    const r = await run(["drift", "mdep/penguins"]);
    expect(r.code, r.stderr).toBe(0);
    const json = await run(["drift", "mdep/penguins", "-o", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const data = JSON.parse(json.stdout) as DriftJson;
    expect(data.threshold).toBe(0.2);
    const inputs = data.features.filter((f) => f.source === "input").map((f) => f.name);
    expect(new Set(inputs)).toEqual(new Set(Object.keys(records[0]?.record ?? {})));
    const psis = data.features.map((f) => f.psi);
    expect(psis).toEqual([...psis].sort((a, b) => b - a));
    // The pipeline sent heavier penguins with longer flippers: those drifted.
    for (const name of ["body_mass_g", "flipper_length_mm"])
      expect(data.features.find((f) => f.name === name)?.drifted).toBe(true);

    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^modeldeployment/penguins in namespace ${ns}: 1 of 1 ready pod\\(s\\) read, window ${data.windowSeconds}s, \\d+ row\\(s\\), drift threshold PSI 0.2$`,
      ),
    );
    const header = lines.findIndex((l) => l.startsWith("FEATURE"));
    expect(lines[header]?.split(/\s{3,}/)).toEqual(["FEATURE", "SOURCE", "PSI", "JS", "STATE", "BASELINE", "LIVE"]);
    const rows = lines.slice(header + 1, header + 1 + data.features.length);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(data.features.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      const cells = row.split(/\s{3,}/);
      expect(Number(cells[2])).toBeCloseTo(data.features[i]?.psi ?? -1, 2);
      expect(cells[4]).toBe(data.features[i]?.drifted ? "DRIFTED" : "OK");
      expect(cells[5]).toMatch(/^[▁▂▃▄▅▆▇█·]+$/);
      expect(cells[6]).toMatch(/^[▁▂▃▄▅▆▇█·]+$/);
      expect([...(cells[5] ?? "")]).toHaveLength(data.features[i]?.baseline.length ?? -1);
    }
    expect(r.stdout).toMatch(/QUALITY: no feedback in the last \d+s/);
  });

  it("shows live accuracy, precision and recall once feedback came", async () => {
    // Some of each species, so every class gets precision and recall.
    const sent = SPECIES.flatMap((s) => records.filter((r) => r.label === s).slice(0, 8));
    const keyFile = join(dir, "key.txt");
    writeFileSync(keyFile, `${pipe.results.get("apiKey") as string}\n`);
    const file = join(dir, "feedback.json");
    writeFileSync(file, JSON.stringify(sent.map((r) => r.record)));
    const p = await run(["predict", "mdep/penguins", "-f", file, "--key-file", keyFile, "-o", "json"], noVaultEnv);
    expect(p.code, p.stderr).toBe(0);
    const id = (JSON.parse(p.stdout) as { predictionId: string }).predictionId;
    // Feedback straight to the Service (as a client would), with the same key as a bearer token: the prediction made
    // with X-API-Key through the proxy is bound to the same caller.
    const endpoint = pipe.results.get("endpoint") as string;
    const fb = await fetch(`${endpoint}/v1/models/penguins:feedback`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${pipe.results.get("apiKey") as string}` },
      body: JSON.stringify({ instances: sent.map((r, row) => ({ id, row, label: r.label })) }),
    });
    expect(fb.status, await fb.clone().text()).toBe(200);
    expect(((await fb.json()) as { accepted: number }).accepted).toBe(sent.length);

    const json = await run(["drift", "mdep/penguins", "-o", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const q = (JSON.parse(json.stdout) as DriftJson).quality;
    expect(q?.task).toBe("classification");
    expect(q?.feedback).toBeGreaterThanOrEqual(sent.length);
    expect(q?.classes?.map((c) => c.class)).toEqual(SPECIES);
    const r = await run(["drift", "mdep/penguins"]);
    expect(r.stdout).toMatch(
      /^QUALITY \(\d+ feedback label\(s\) in the window\): accuracy \d\.\d{3} {3}precision \d\.\d{3} {3}recall \d\.\d{3} {3}F1 \d\.\d{3} {3}\(macro\)$/m,
    );
    expect(r.stdout).toMatch(/^CLASS\s+PRECISION\s+RECALL\s+F1\s+SUPPORT$/m);
    for (const s of SPECIES)
      expect(r.stdout).toMatch(new RegExp(`^${s}\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}\\s+\\d+$`, "m"));
  });

  it("without a Vault login: one line saying what to set", async () => {
    const line = oneLineError(await run(["drift", "mdep/penguins"], noVaultEnv));
    expect(line).toContain("no Vault login");
    expect(line).toContain("set VAULT_ADDR and VAULT_TOKEN");
  });

  it("a ModelDeployment without monitoring: one line and a hint", async () => {
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: ns,
      plural: "modeldeployments",
      body: {
        apiVersion: "liftoff.dev/v1alpha1",
        kind: "ModelDeployment",
        metadata: { name: "unmonitored" },
        spec: { model: { trainingJobRef: { name: "penguins" } }, replicas: 1 },
      },
    });
    const line = oneLineError(await run(["drift", "mdep/unmonitored"]));
    expect(line).toMatch(
      /^error: modeldeployment\/unmonitored in namespace .* has no monitoring \(spec\.monitoring is not set\); add spec\.monitoring/,
    );
    const unknown = oneLineError(await run(["drift", "mdep/nope"]));
    expect(unknown).toMatch(/not found/);
  });
});
