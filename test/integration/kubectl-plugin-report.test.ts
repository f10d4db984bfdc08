// `kubectl liftoff report` against the real local cluster: the penguins pipeline, plus values planted where a real
// support bundle would pick them up — a Secret read by a pod's env, a literal password env var, the ModelDeployment's
// API key (from Vault), a pii column's values (an inline DataSet with an `email` column marked pii) echoed into a pod
// log and an Event, and a bearer token in a log line. The bundle is unzipped and every file grepped: none of the
// planted values may appear, while the expected files exist and redactions.txt counts removals.
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { TESTBOX_IMAGE } from "../../devcluster/node-agent/images.js";
import { readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection } from "../../devcluster/openbao/openbao.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { kubeConfig } from "../support/kube.js";
import { kubectlLiftoff, type PenguinsPipeline, penguinsPipeline } from "../support/plugin.js";
import { pollUntil } from "../support/poll.js";

const kubeconfig = inject("kubeconfig");
const kubectl = inject("kubectl");
const clusterName = inject("clusterName");
const kc = kubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);

const tag = randomBytes(6).toString("hex");
const PLANTED = {
  secretValue: `sv-${tag}-from-a-secret`,
  envPassword: `pw-${tag}-literal`,
  bearer: `tok${tag}bearer`,
  email: `ada.${tag}@example.org`,
  otherEmail: `grace.${tag}@example.org`,
};
let apiKey = "";

let pipeline: PenguinsPipeline | undefined;
const tmp = mkdtempSync(join(tmpdir(), "liftoff-report-test-"));
let ns = "";
let vaultEnv: NodeJS.ProcessEnv = {};

function unzip(file: string): Map<string, string> {
  const out = unzipSync(new Uint8Array(readFileSync(file)));
  return new Map(Object.entries(out).map(([p, b]) => [p, strFromU8(b)]));
}

function plantedIn(files: Map<string, string>, values: readonly string[]): string[] {
  const hits: string[] = [];
  for (const [path, text] of files) for (const v of values) if (text.includes(v)) hits.push(`${path}: ${v}`);
  return hits;
}

beforeAll(async () => {
  pipeline = await penguinsPipeline(kc, "plugin-report", { clusterName, kubeconfig, kubectl });
  ns = pipeline.namespace;
  apiKey = pipeline.results.get("apiKey") as string;
  expect(apiKey).toBeTruthy();
  const conn = readVaultConnection(clusterConfig(clusterName));
  const root = readInitSecrets(openbaoLayout(clusterConfig(clusterName)))?.rootToken;
  expect(root).toBeTruthy();
  vaultEnv = { VAULT_ADDR: conn.address, VAULT_CACERT: conn.caFile, VAULT_TOKEN: root };

  const mdep = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: "modeldeployments",
    name: "penguins",
  })) as { metadata: { uid: string } };
  const owner = {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    name: "penguins",
    uid: mdep.metadata.uid,
  };

  // A DataSet with a pii column: its inline rows are where the plugin learns the values to scrub.
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: "datasets",
    body: {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "DataSet",
      metadata: { name: "people" },
      spec: {
        source: { inline: { data: `email,age,label\n${PLANTED.email},36,1\n${PLANTED.otherEmail},85,0\n` } },
        format: "csv",
        schema: {
          target: "label",
          columns: [
            { name: "email", type: "string", pii: true },
            { name: "age", type: "integer" },
            { name: "label", type: "integer" },
          ],
        },
        transforms: [{ type: "dropColumns", columns: ["email"] }],
        output: { claimName: "liftoff-data", path: "datasets/people" },
      },
    },
  });

  // A Secret whose value a pod reads into its env and prints.
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "report-planted" }, stringData: { password: PLANTED.secretValue } },
  });
  // A pod the ModelDeployment owns (as a debugging sidecar would be): its log carries every planted value.
  const script = [
    "console.log('starting with secret ' + process.env.FROM_SECRET);",
    `console.log('GET /v1/models/penguins authorization: Bearer ${PLANTED.bearer}');`,
    `console.log('retrying with key ${apiKey} for ${PLANTED.email}');`,
    "console.log('db password ' + process.env.DB_PASSWORD);",
  ].join("");
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: "penguins-echo", ownerReferences: [owner] },
      spec: {
        restartPolicy: "Never",
        containers: [
          {
            name: "echo",
            image: `${TESTBOX_IMAGE}:latest`,
            command: ["node", "-e", script],
            env: [
              { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "report-planted", key: "password" } } },
              { name: "DB_PASSWORD", value: PLANTED.envPassword },
            ],
          },
        ],
      },
    },
  });
  await pollUntil(
    "penguins-echo to finish",
    async () => (await core.readNamespacedPod({ namespace: ns, name: "penguins-echo" })).status?.phase === "Succeeded",
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const log = await core.readNamespacedPodLog({ namespace: ns, name: "penguins-echo", container: "echo" });
  // The planted values really are in what the report reads.
  expect(log).toContain(PLANTED.secretValue);
  expect(log).toContain(apiKey);

  // An Event on the ModelDeployment that names a pii value and the key.
  const now = new Date();
  await core.createNamespacedEvent({
    namespace: ns,
    body: {
      metadata: { generateName: "penguins." },
      involvedObject: { ...owner, namespace: ns },
      reason: "PlantedForReport",
      message: `prediction for ${PLANTED.otherEmail} refused`,
      type: "Warning",
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: "report-test" },
    },
  });
}, 600_000);

afterAll(async () => {
  await pipeline?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("kubectl liftoff report", () => {
  it("writes a bundle with objects, Events, logs and versions, and none of the planted secrets", {
    timeout: 120_000,
  }, async () => {
    const file = join(tmp, "penguins.zip");
    const run = await kubectlLiftoff(["report", "mdep/penguins", "-n", ns, "-f", file], {
      kubectl,
      kubeconfig,
      env: vaultEnv,
    });
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(
      new RegExp(`^${file.replace(/[.]/g, "\\.")} \\(\\d+(\\.\\d)? (B|KiB|MiB), \\d+ files\\)$`),
    );
    expect(statSync(file).size).toBeGreaterThan(0);

    // LIFTOFF_REPORT_EXAMPLE_DIR keeps the bundle and the printed line (for the docs' example).
    const keep = process.env.LIFTOFF_REPORT_EXAMPLE_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(file, join(keep, "penguins.zip"));
      writeFileSync(join(keep, "stdout.txt"), run.stdout + run.stderr);
    }
    const files = unzip(file);
    const paths = [...files.keys()];
    expect(paths[0]).toBe("README.txt");
    for (const p of [
      "objects/modeldeployment/penguins.yaml",
      "objects/trainingjob/penguins.yaml",
      "objects/dataset/penguins.yaml",
      "objects/deployment/penguins-predictor.yaml",
      "objects/pod/penguins-echo.yaml",
      "objects/secret/report-planted.yaml",
      "logs/penguins-echo/echo.log",
      "events.txt",
      "events.yaml",
      "summary.txt",
      "versions.yaml",
      "redactions.txt",
    ]) {
      expect(paths, p).toContain(p);
    }
    // Serving pods' logs too, and the training Job's pod.
    expect(
      paths.some((p) => /^logs\/penguins-predictor-[^/]+\/[^/]+\.log$/.test(p)),
      paths.join("\n"),
    ).toBe(true);
    expect(
      paths.some((p) => /^objects\/job\/penguins-train\.yaml$/.test(p)),
      paths.join("\n"),
    ).toBe(true);

    // Nothing planted survives, in any file.
    expect(plantedIn(files, [...Object.values(PLANTED), apiKey])).toEqual([]);
    // …though the lines that carried them are there, redacted.
    const echo = files.get("logs/penguins-echo/echo.log") ?? "";
    expect(echo).toContain("authorization: Bearer <redacted>");
    expect(echo).toContain("retrying with key <redacted> for <redacted>");
    expect(files.get("events.txt")).toMatch(/PlantedForReport.*prediction for <redacted> refused/);
    expect(files.get("objects/secret/report-planted.yaml")).toMatch(/password: <redacted>/);
    // Objects read through the typed clients keep their timestamps as the API server wrote them.
    expect(files.get("objects/pod/penguins-echo.yaml")).toMatch(/creationTimestamp: "?\d{4}-\d\d-\d\dT/);
    expect(files.get("objects/pod/penguins-echo.yaml")).toMatch(/name: DB_PASSWORD\n\s+value: <redacted>/);

    const counts = Object.fromEntries(
      [...(files.get("redactions.txt") ?? "").matchAll(/^([a-z-]+)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    for (const cls of ["secret-value", "api-key", "bearer-token", "env-value", "pii"]) {
      expect(counts[cls], cls).toBeGreaterThan(0);
    }
    expect(counts.total).toBeGreaterThan(0);

    const readme = files.get("README.txt") ?? "";
    expect(readme).toContain(`ModelDeployment/penguins in namespace ${ns}`);
    expect(readme).toContain("read from Vault with your login");
    // The pipeline runs the operator in the test process: the README says its log is not in the bundle.
    expect(readme).toMatch(/the operator runs outside the cluster/);
    const versions = files.get("versions.yaml") ?? "";
    expect(versions).toMatch(/gitVersion: v1\./);
    expect(versions).toMatch(/name: modeldeployments\.liftoff\.dev/);
    expect(files.get("summary.txt")).toMatch(/^ModelDeployment\/penguins\s+True/m);
  });

  it("drops a pii DataSet's inline rows from its own report", { timeout: 120_000 }, async () => {
    const file = join(tmp, "people.zip");
    const run = await kubectlLiftoff(["report", "dset/people", "-n", ns, "-f", file], { kubectl, kubeconfig });
    expect(run.code, run.stderr).toBe(0);
    const files = unzip(file);
    const ds = files.get("objects/dataset/people.yaml") ?? "";
    expect(ds).toContain("pii: true");
    expect(ds).toMatch(/data: "?<redacted> \(inline data with pii columns email/);
    expect(plantedIn(files, [PLANTED.email, PLANTED.otherEmail])).toEqual([]);
  });

  it("without a Vault login says the API keys were redacted by pattern only, and writes the default file name", {
    timeout: 120_000,
  }, async () => {
    const home = mkdtempSync(join(tmp, "home-"));
    const run = await kubectlLiftoff(["report", "mdep/penguins", "-n", ns, "--output-dir", tmp, "--tail", "5"], {
      kubectl,
      kubeconfig,
      env: { VAULT_ADDR: "", VAULT_TOKEN: "", HOME: home },
    });
    expect(run.code, run.stderr).toBe(0);
    const m = /^(\S+liftoff-report-modeldeployment-penguins-\d{8}T\d{6}Z\.zip) \(/.exec(run.stdout.trim());
    expect(m, run.stdout).not.toBeNull();
    const files = unzip(m?.[1] as string);
    expect(files.get("README.txt")).toMatch(
      /API keys not read from Vault \(no VAULT_ADDR, or no VAULT_TOKEN and no ~\/.vault-token\)/,
    );
    expect(run.stderr).toMatch(/note: API keys not read from Vault/);
    // Patterns still catch the bearer token; Secrets and pii are learned from the cluster, not Vault.
    expect(plantedIn(files, [PLANTED.bearer, PLANTED.secretValue, PLANTED.envPassword, PLANTED.email])).toEqual([]);
  });

  it("answers bad input with one line and an exit code", { timeout: 120_000 }, async () => {
    const unknown = await kubectlLiftoff(["report", "mdep/nope", "-n", ns, "-f", join(tmp, "x.zip")], {
      kubectl,
      kubeconfig,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      `error: modeldeployment "nope" in namespace ${ns} not found; kubectl get liftoff lists what exists`,
    );

    const kind = await kubectlLiftoff(["report", "pod/penguins", "-n", ns], { kubectl, kubeconfig });
    expect(kind.code).toBe(2);
    expect(kind.stderr.trim()).toMatch(/^error: unknown kind "pod"; kubectl liftoff knows /);
    expect(kind.stderr.split("\n").filter(Boolean)).toHaveLength(1);

    const noName = await kubectlLiftoff(["report", "-n", ns], { kubectl, kubeconfig });
    expect(noName.code).toBe(2);
    expect(noName.stderr.trim()).toMatch(/^error: kubectl liftoff report needs the object's name/);

    const dead = join(tmp, "dead.kubeconfig");
    writeFileSync(
      dead,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
        "users: [{name: dead, user: {token: nothing}}]",
        "contexts: [{name: dead, context: {cluster: dead, user: dead}}]",
        "current-context: dead",
      ].join("\n"),
    );
    const down = await kubectlLiftoff(["report", "mdep/penguins", "-f", join(tmp, "y.zip")], {
      kubectl,
      kubeconfig: dead,
    });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^error: no cluster reachable at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); /);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });
});
