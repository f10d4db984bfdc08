// Fault: OpenBao sealed while a TrainingJob on an encrypted DataSet starts. The DataSet is prepared encrypted
// (Vault transit data key) while OpenBao is unsealed; then OpenBao is sealed and the TrainingJob created. Per the
// product's retry policy the training pod cannot unwrap the data key, exits 1 and the Job retries (backoffLimit 3),
// the TrainingJob meanwhile Pending with reason VaultSealed; once it says so, OpenBao is unsealed and the next
// attempt must train to Succeeded. Then "nothing written in plaintext": every file the DataSet and the training
// wrote — both output folders and the node agent's folders of their pods (scratch, /dev/shm and tmp emptyDirs are
// host folders on the local cluster; medium: Memory ones are on /dev/shm, searched too) — is searched for an island name of the source rows. The artifact's
// preprocessing.json and stats.json are left out: they carry the vocabularies in clear by design
// (docs/trainingjob.md, "Encrypted DataSets"). The source CSV itself must hit (the search can find what it seeks).
// Recovery time: from the unseal until Succeeded.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { clusterConfig } from "../../../devcluster/cluster/config.js";
import { memoryRoot } from "../../../devcluster/node-agent/layout.js";
import { writeWorkloadRole } from "../../../devcluster/openbao/admin.js";
import { readVaultConnection } from "../../../devcluster/openbao/openbao.js";
import { condition, waitSettled } from "../../../test/support/dataset.js";
import { applyObject, deleteAndWait, readObject } from "../../demo/kube.js";
import { type Env, NS } from "../env.js";
import { scanForMarker } from "../plaintext.js";
import { type Row, seconds } from "../table.js";
import { applyDataSet, trainingJob, trainingPods, writeSources } from "./datasets.js";
import { sleep } from "./serving.js";

const NAME = "vault-seal-training";
const DATA = `${NAME}-data`;
const DATA_OUT = `out/${DATA}`;
const OUT = `models/${NAME}`;
const TRANSIT_KEY = `${NS}-${NAME}`;
/** An island of the penguins sample: a value of the rows, stored as a string in plaintext Parquet. */
const MARKER = "Torgersen";
const tjRef = { kind: "TrainingJob", namespace: NS, name: NAME } as const;

// biome-ignore lint/suspicious/noExplicitAny: status read back
const conditionsOf = (tj: Record<string, any>): string[] =>
  // biome-ignore lint/suspicious/noExplicitAny: status read back
  (tj.status?.conditions ?? []).map((c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message ?? ""}`);

export async function vaultSealTraining(env: Env): Promise<Row> {
  const mount = readVaultConnection(clusterConfig(env.clusterName)).authMount;
  await env.vault.write(`transit/keys/${TRANSIT_KEY}`, { type: "aes256-gcm96" });
  // Least privilege, as docs/trainingjob.md sets it up: prepare mints and unwraps, training only unwraps.
  await writeWorkloadRole(env.vault, mount, {
    name: `${NS}-${DATA}`,
    namespace: NS,
    serviceAccount: `${DATA}-dataset`,
    datakeyKeys: [TRANSIT_KEY],
    decryptKeys: [TRANSIT_KEY],
    versionKeys: { access: "write" },
    namespaceKv: false,
  });
  await writeWorkloadRole(env.vault, mount, {
    name: `liftoff-${NS}-${NAME}-train`,
    namespace: NS,
    serviceAccount: `${NAME}-train`,
    decryptKeys: [TRANSIT_KEY],
    versionKeys: { access: "read" },
    namespaceKv: false,
  });
  await deleteAndWait(env.kc, tjRef, 120_000);
  await deleteAndWait(env.kc, { kind: "DataSet", namespace: NS, name: DATA }, 120_000);
  rmSync(join(env.dataFolder, OUT), { recursive: true, force: true });
  const src = writeSources(env.dataFolder, 200);
  await applyDataSet(env.kc, NS, DATA, src.small, DATA_OUT, {
    encryption: { transitKey: TRANSIT_KEY, vaultRole: `${NS}-${DATA}` },
  });
  const ds = await waitSettled(env.kc, NS, DATA, 300_000);
  if (condition(ds, "Ready")?.status !== "True") throw new Error(`DataSet not Ready: ${JSON.stringify(ds.status)}`);

  await env.vault.write("sys/seal", {});
  env.log(`${NAME}: OpenBao sealed; creating the TrainingJob`);
  let reason = "";
  let unsealedAt: number | undefined;
  try {
    await applyObject(env.kc, trainingJob(NS, NAME, DATA, OUT, { units: [16, 8], epochs: 5, seed: 7, memory: "1Gi" }));
    const deadline = Date.now() + 180_000;
    while (!reason && Date.now() < deadline) {
      const tj = await readObject(env.kc, tjRef);
      const said = conditionsOf(tj).find((l) => /VaultSealed/.test(l));
      if (said) reason = said;
      else if (condition(tj, "Failed")?.status === "True") break;
      else await sleep(500);
    }
  } finally {
    await env.unseal();
    unsealedAt = performance.now();
  }
  let tj = await readObject(env.kc, tjRef);
  const deadline = Date.now() + 600_000;
  while (condition(tj, "Succeeded")?.status !== "True" && condition(tj, "Failed")?.status !== "True") {
    if (Date.now() > deadline) break;
    await sleep(500);
    tj = await readObject(env.kc, tjRef);
  }
  const succeeded = condition(tj, "Succeeded")?.status === "True";
  const recovered = performance.now() - unsealedAt;
  const pods = await trainingPods(env.kc, NS, NAME);

  // What the pods wrote: both output folders and the node agent's folders of this fault's pods.
  const podsDir = join(clusterConfig(env.clusterName).stateDir, "pods", NS);
  const podFolders = existsSync(podsDir)
    ? readdirSync(podsDir)
        .filter((p) => p.startsWith(`${NAME}-`))
        .map((p) => join(podsDir, p))
    : [];
  const control = scanForMarker(
    [join(env.dataFolder, src.small)].map((f) => join(f, "..")),
    MARKER,
  );
  const scan = scanForMarker(
    [join(env.dataFolder, DATA_OUT), join(env.dataFolder, OUT), ...podFolders, ...podFolders.map((f) => memoryRoot(f))],
    MARKER,
    (rel) => /^[0-9a-f]{64}\/(preprocessing|stats)\.json$/.test(rel),
  );
  const controlHit = control.hits.some((h) => h.endsWith(src.small));
  const ok = reason !== "" && succeeded && scan.hits.length === 0 && controlHit && podFolders.length > 0;
  return {
    fault: NAME,
    load: "1 TrainingJob on an encrypted DataSet (started sealed)",
    sent: undefined,
    failed: undefined,
    dataLost: scan.hits.length === 0 ? "none (0 plaintext hits)" : `${scan.hits.length} plaintext file(s)`,
    recovery: succeeded
      ? `${seconds(recovered)} (Succeeded)`
      : condition(tj, "Failed")?.status === "True"
        ? "Failed"
        : "not finished",
    verdict: ok ? "pass" : "FAIL",
    note:
      `the TrainingJob's reason while sealed: ${reason ? `"${reason.slice(0, 200)}"` : "none naming VaultSealed within 180 s"}; ` +
      `${pods.length} training pod(s); "${MARKER}" searched in ${scan.files} files (DataSet and model folders, ` +
      `${podFolders.length} pod folders and their /dev/shm volumes): ${scan.hits.length} hits${scan.hits.length ? ` (${scan.hits.slice(0, 5).join(", ")})` : ""}; ` +
      `control: the source CSV ${controlHit ? "holds it" : "DOES NOT hold it (the search is broken)"}` +
      (succeeded ? "" : `; conditions: ${conditionsOf(tj).join(" | ").slice(0, 300)}`),
  };
}
