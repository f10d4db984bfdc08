// A DataSet reading captured traffic (issue #28) on the local cluster: capture versions are written into a claim with
// the capture format module, as serving pods write them; the DataSet names the ModelDeployment that captured them
// beside the penguins file. Until the ModelDeployment exists the DataSet says CaptureSourceNotFound; once it does,
// the operator mounts the capture claim read-only, the real prepare runtime merges the captured rows into the
// penguins rows, and the status counts them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { captureVersion, type RecordColumn } from "../support/capture-fixtures.js";
import {
  condition,
  createDataSet,
  getDataSet,
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  waitSettled,
} from "../support/dataset.js";
import { kubeConfig } from "../support/kube.js";
import { createModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "capsrc", {
  flags: async () => [
    ...(await reportFlags(inject("clusterName"))),
    `--vault-addr=${testVault(inject("clusterName")).podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
  ],
});

const COLUMNS: RecordColumn[] = [
  ["species", "VARCHAR"],
  ["island", "VARCHAR"],
  ["bill_length_mm", "DOUBLE"],
  ["bill_depth_mm", "DOUBLE"],
  ["flipper_length_mm", "DOUBLE"],
  ["body_mass_g", "DOUBLE"],
  ["sex", "VARCHAR"],
  ["year", "BIGINT"],
];
/** A captured penguin; species null: its feedback label never arrived. */
const penguin = (i: number, species: string | null) => [
  species,
  "Biscoe",
  40 + i / 10,
  17 + i / 100,
  200 + i,
  4000 + 10 * i,
  i % 2 ? "male" : "female",
  2026,
];

describe("DataSet with source.captured through the operator", () => {
  it("waits for the ModelDeployment's capture, then merges its labelled, recent versions with the penguins file", {
    timeout: 240_000,
  }, async () => {
    const ns = fx.ns.name;
    const data = await claimHostFolder(admin, ns, "data");
    mkdirSync(join(data, "raw"), { recursive: true });
    writeFileSync(join(data, "raw/penguins.csv"), PENGUINS_CSV);
    const root = join(await claimHostFolder(admin, ns, "capture"), "penguins");
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // Two pods' recent versions: 12 + 5 rows, 2 of them unlabelled; one version older than maxAgeHours.
    await captureVersion(
      root,
      COLUMNS,
      Array.from({ length: 12 }, (_, i) => penguin(i, i < 2 ? null : "Gentoo")),
      { pod: "penguins-abc-1", at: hoursAgo(2) },
    );
    await captureVersion(
      root,
      COLUMNS,
      Array.from({ length: 5 }, (_, i) => penguin(20 + i, "Adelie")),
      { pod: "penguins-abc-2", at: hoursAgo(1) },
    );
    await captureVersion(root, COLUMNS, [penguin(40, "Chinstrap")], { pod: "penguins-abc-1", at: hoursAgo(48) });

    await createDataSet(admin, ns, "penguins-loop-1", {
      source: {
        pvc: { claimName: "data", path: "raw/penguins.csv" },
        captured: { modelDeploymentRef: { name: "penguins" }, maxAgeHours: 24 },
      },
      schema: PENGUINS_SCHEMA,
      transforms: PENGUINS_TRANSFORMS,
      output: { claimName: "data", path: "out/captured" },
      resources: { cpu: "1", memory: "512Mi" },
    });
    const waiting = await waitSettled(admin, ns, "penguins-loop-1");
    expect(condition(waiting, "Stalled"), JSON.stringify(waiting.status?.conditions)).toMatchObject({
      status: "True",
      reason: "CaptureSourceNotFound",
    });
    expect(condition(waiting, "Stalled")?.message).toMatch(/ModelDeployment penguins, which does not exist/);

    // No serving pods (replicas 0): the DataSet needs only its spec.capture.
    await createModelDeployment(admin, ns, "penguins", {
      model: { uri: "pvc://data/models/penguins/model.json", format: "tfjs-layers" },
      replicas: 0,
      capture: { uri: "pvc://capture/penguins", dataSetRef: { name: "penguins-loop-1" } },
    });
    // Ready, or a failure other than the one before the ModelDeployment existed (then its message is the finding).
    const ds = await pollUntil(
      "DataSet penguins-loop-1 Ready or Failed",
      async () => {
        const d = await getDataSet(admin, ns, "penguins-loop-1");
        const failed = d && condition(d, "Failed");
        const done =
          condition(d ?? {}, "Ready")?.status === "True" ||
          (failed?.status === "True" && failed.reason !== "CaptureSourceNotFound");
        return done ? d : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(condition(ds, "Ready")?.status, JSON.stringify(ds.status?.conditions)).toBe("True");
    // 344 penguins + 15 labelled captured rows; dropNA drops the file's 11 incomplete rows only.
    expect(ds.status.rows).toMatchObject({ read: 359, captured: 15, dropped: 11, total: 348 });
    expect(ds.status.capturedVersions).toBe(2);
    expect(condition(ds, "Ready")?.message).toMatch(/15 of the 359 rows read from 2 capture versions/);
  });

  it("decrypts an encrypted capture with the DataSet pod's own Vault role, and names the denial when the role may not", {
    timeout: 240_000,
  }, async () => {
    const ns = fx.ns.name;
    const vault = testVault(inject("clusterName"));
    const [captureKey, dataKeyName] = [`${ns}-capture`, `${ns}-datasets`];
    await vault.createTransitKey(captureKey);
    await vault.createTransitKey(dataKeyName);
    // The DataSet's role may decrypt the capture's key; the other role only its own.
    const role = (name: string, dataSet: string, decrypt: string[]) =>
      vault.createRole({
        name,
        namespace: ns,
        serviceAccount: `${dataSet}-dataset`,
        datakeyKeys: [dataKeyName],
        decryptKeys: decrypt,
        versionKeys: { access: "write" },
      });
    await role(`${ns}-captured`, "penguins-enc", [dataKeyName, captureKey]);
    await role(`${ns}-no-capture`, "penguins-denied", [dataKeyName]);
    // A data key as the serving pod gets one (transit/datakey), its wrapped form in the version's manifest.
    const key = (await vault.admin.write(`transit/datakey/plaintext/${captureKey}`, {})) as {
      data: { plaintext: string; ciphertext: string };
    };
    const encryption = {
      transitKey: captureKey,
      dataKey: Buffer.from(key.data.plaintext, "base64"),
      wrappedKey: key.data.ciphertext,
    };
    const root = join(await claimHostFolder(admin, ns, "capture"), "penguins-enc");
    await captureVersion(
      root,
      COLUMNS,
      Array.from({ length: 6 }, (_, i) => penguin(i, "Chinstrap")),
      { at: new Date(), encryption },
    );
    await createModelDeployment(admin, ns, "penguins-enc", {
      model: { uri: "pvc://data/models/penguins/model.json", format: "tfjs-layers" },
      replicas: 0,
      capture: { uri: "pvc://capture/penguins-enc", dataSetRef: { name: "penguins-enc" } },
    });
    const dataSet = (name: string, vaultRole: string) =>
      createDataSet(admin, ns, name, {
        source: {
          pvc: { claimName: "data", path: "raw/penguins.csv" },
          captured: { modelDeploymentRef: { name: "penguins-enc" } },
        },
        schema: PENGUINS_SCHEMA,
        transforms: PENGUINS_TRANSFORMS,
        output: { claimName: "data", path: `out/${name}` },
        encryption: { transitKey: dataKeyName, vaultRole },
        resources: { cpu: "1", memory: "512Mi" },
      });
    await dataSet("penguins-enc", `${ns}-captured`);
    await dataSet("penguins-denied", `${ns}-no-capture`);

    const ok = await waitSettled(admin, ns, "penguins-enc", 180_000);
    expect(condition(ok, "Ready")?.status, JSON.stringify(ok.status?.conditions)).toBe("True");
    expect(ok.status.rows).toMatchObject({ read: 350, captured: 6, total: 339 });
    expect(ok.status.capturedVersions).toBe(1);
    const denied = await waitSettled(admin, ns, "penguins-denied", 180_000);
    expect(condition(denied, "Failed"), JSON.stringify(denied.status?.conditions)).toMatchObject({
      status: "True",
      reason: "VaultPermissionDenied",
    });
    expect(condition(denied, "Failed")?.message).toContain(`transit/decrypt/${captureKey}`);
  });
});
