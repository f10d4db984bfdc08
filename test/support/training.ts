// What the TrainingJob tests on the local cluster share: the least-privilege Vault roles of an encrypted penguins
// DataSet and of its training runs, the DataSet itself on a claim, and `kubectl get tj -w` read as lines.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { applyObject, waitForCondition } from "../../hack/demo/kube.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import type { Obj } from "./kube.js";
import type { TestVault } from "./vault.js";

/** The role a TrainingJob's pods log in with (the operator's default name): it may only read the data keys. */
export async function trainingRole(vault: TestVault, ns: string, transitKey: string, job: string): Promise<void> {
  await vault.createRole({
    name: `liftoff-${ns}-${job}-train`,
    namespace: ns,
    serviceAccount: `${job}-train`,
    decryptKeys: [transitKey],
    versionKeys: { access: "read" },
    namespaceKv: false,
  });
}

/**
 * The transit key `<ns>-data`, the penguins DataSet's role (mints and unwraps data keys, writes version keys) and a
 * training role per job; returns the transit key.
 */
export async function penguinsVaultRoles(vault: TestVault, ns: string, jobs: readonly string[]): Promise<string> {
  const transitKey = `${ns}-data`;
  await vault.createTransitKey(transitKey);
  await vault.createRole({
    name: `${ns}-dataset`,
    namespace: ns,
    serviceAccount: "penguins-dataset",
    datakeyKeys: [transitKey],
    decryptKeys: [transitKey],
    versionKeys: { access: "write" },
    namespaceKv: false,
  });
  for (const job of jobs) await trainingRole(vault, ns, transitKey, job);
  return transitKey;
}

/** The penguins sample DataSet, encrypted, from the CSV on the claim; Ready. Returns the claim's host folder. */
export async function encryptedPenguins(
  kc: KubeConfig,
  ns: string,
  claim: string,
  transitKey: string,
): Promise<string> {
  const folder = await claimHostFolder(kc, ns, claim);
  mkdirSync(join(folder, "raw"), { recursive: true });
  copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
  const ds = loadSample("dataset", ns);
  (ds.spec as Obj).encryption = { transitKey, vaultRole: `${ns}-dataset` };
  await applyObject(kc, ds);
  await waitForCondition(kc, { kind: "DataSet", namespace: ns, name: "penguins" }, "Ready", { timeoutMs: 120_000 });
  return folder;
}

/** `kubectl get tj <name> -w` until stopped: its lines. */
export function watchTrainingJob(
  kubectl: string,
  kubeconfig: string,
  ns: string,
  name: string,
): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const watch: ChildProcess = spawn(kubectl, ["get", "tj", name, "-n", ns, "-w"], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  let partial = "";
  watch.stdout?.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  return { lines, stop: () => watch.kill() };
}
