// The suite's environment on a local cluster (devcluster): the cluster itself, the operator in this process (as
// `npm start` runs it), a restricted namespace, two small models on a claim, an API key in OpenBao, and the
// ModelDeployment the serving faults load: 2 replicas, spec.auth (keys read from OpenBao by the pods).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { clusterDown, clusterUp, ensureClusterUp } from "../../devcluster/cluster/cluster.js";
import { clusterConfig, REPO_ROOT } from "../../devcluster/cluster/config.js";
import { reportFlags } from "../../devcluster/cluster/report-flags.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { type AdminVault, adminVault } from "../../devcluster/openbao/admin.js";
import { initAndUnseal, readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection } from "../../devcluster/openbao/openbao.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { parseConfig } from "../../operator/src/config.js";
import { type OperatorHandle, startOperator } from "../../operator/src/operator.js";
import { fetchArtifact } from "../../runtime/src/artifact.js";
import { saveLayersModel } from "../../runtime/src/serve/test-helpers.js";
import { applyObject, readObject, waitForCondition } from "../demo/kube.js";
import { plantApiKey } from "../demo/vault.js";
import type { ReliabilityOptions } from "./cli.js";

export const NS = "reliability";
/** The disk-full fault's namespace: its pods' folders are put on a small tmpfs. */
export const DISK_NS = "reliability-disk";
export const MDEP = "reli";
const KEY_PATH = `secret/data/${NS}/${MDEP}`;

/** y = x·W + b, 3 inputs, 2 outputs; `bias` tells the two model versions apart (their digests differ). */
function linear(bias: number): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: "dense" })] });
  m.setWeights([tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]), tf.tensor1d([bias, bias])]);
  return m;
}

/** Which model version answered ROW [1,2,3] (version `bias` answers [4 + bias, 5 + bias]); undefined: neither. */
export function versionOf(preds: number[][], models: readonly ModelVersion[]): string | undefined {
  const p = preds[0] ?? [];
  const m = models.find(
    (v) => Math.abs((p[0] ?? 0) - (4 + v.bias)) < 1e-3 && Math.abs((p[1] ?? 0) - (5 + v.bias)) < 1e-3,
  );
  return m && `v${m.bias}`;
}

export interface ModelVersion {
  uri: string;
  digest: string;
  bias: number;
}

export interface Env {
  options: ReliabilityOptions;
  clusterName: string;
  kc: KubeConfig;
  op: OperatorHandle;
  apiKey: string;
  models: [ModelVersion, ModelVersion];
  /** Host folder of the "data" claim (DataSet faults). */
  dataFolder: string;
  vault: AdminVault;
  unseal(): Promise<void>;
  log(line: string): void;
  /** Stops what setUp started (the operator; the cluster unless kept or reused). */
  cleanup(): Promise<void>;
}

async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.readNamespace({ name }).catch(() =>
    core.createNamespace({
      // restricted: what a production namespace enforces; the operator's pods must pass it.
      body: { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
    }),
  );
}

async function writeModels(kc: KubeConfig): Promise<[ModelVersion, ModelVersion]> {
  const folder = await claimHostFolder(kc, NS, "models");
  const out: ModelVersion[] = [];
  for (const bias of [0, 1]) {
    const dir = join(folder, `v${bias}`);
    mkdirSync(dir, { recursive: true });
    const file = await saveLayersModel(linear(bias), dir);
    const { digest } = await fetchArtifact({ kind: "file", path: file }, undefined);
    out.push({ uri: `pvc://models/v${bias}/model.json`, digest: `sha256:${digest}`, bias });
  }
  return out as [ModelVersion, ModelVersion];
}

export function modelDeployment(model: ModelVersion, replicas: number) {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment" as const,
    metadata: { name: MDEP, namespace: NS },
    spec: {
      model: { uri: model.uri, digest: model.digest },
      replicas,
      resources: { cpu: "500m", memory: "512Mi" },
      // Keys re-read every 5 s, so the seal fault sees refreshes fail while the pods serve on.
      auth: { apiKeys: { path: KEY_PATH, key: MDEP }, refreshSeconds: 5 },
    },
  };
}

export const mdepRef = { kind: "ModelDeployment", namespace: NS, name: MDEP } as const;

/** Applies the ModelDeployment and waits until its current generation is Ready with `replicas` ready pods. */
export async function deploy(env: Env, model: ModelVersion, replicas: number, timeoutMs = 300_000): Promise<void> {
  await applyObject(env.kc, modelDeployment(model, replicas));
  const deadline = Date.now() + timeoutMs;
  await waitForCondition(env.kc, mdepRef, "Ready", { timeoutMs });
  for (;;) {
    const m = await readObject(env.kc, mdepRef);
    if (m.status?.readyReplicas === replicas && m.status?.replicas === replicas) return;
    if (Date.now() > deadline) throw new Error(`${MDEP}: ${replicas} ready replicas not reached`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function setUp(options: ReliabilityOptions, log: (l: string) => void): Promise<Env> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const name = options.cluster;
  const cluster = options.reuseCluster
    ? await ensureClusterUp(name, { build: false, log })
    : await clusterUp(name, { fresh: true, build: false, log });
  if (!options.keepCluster && !cluster.alreadyRunning) cleanups.push(() => clusterDown(name).then(() => undefined));
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  await ensureNamespace(kc, NS);
  await ensureNamespace(kc, DISK_NS);

  const config = clusterConfig(name);
  const conn = readVaultConnection(config);
  const layout = openbaoLayout(config);
  const secrets = readInitSecrets(layout);
  if (!secrets) throw new Error(`cluster ${name}: OpenBao is not initialised`);
  const vault = adminVault(conn.address, conn.caFile, secrets.rootToken);

  const logFile = join(REPO_ROOT, ".liftoff", `reliability-operator-${name}.log`);
  const opLog = pino({ level: "info" }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
  const op = await startOperator(
    parseConfig(
      [
        "--leader-elect=false",
        "--metrics-bind-address=127.0.0.1:0",
        `--namespaces=${NS},${DISK_NS}`,
        ...(await reportFlags(name)),
        `--vault-addr=${conn.podAddress}`,
        "--vault-ca-configmap=kube-root-ca.crt",
      ],
      process.env,
    ),
    { kubeConfig: kc, log: opLog.child({ component: "operator" }) },
  );
  cleanups.push(() => op.stop());
  await op.leading;
  log(`reliability: operator running (log in ${logFile})`);

  // A reused cluster keeps its key: a new one would be refused by running pods until their next refresh.
  const held = (await vault.read(KEY_PATH).catch(() => undefined)) as { data?: { data?: Record<string, string> } };
  const apiKey =
    held?.data?.data?.[MDEP] ??
    (await plantApiKey(name, { namespace: NS, modelDeployment: MDEP, path: KEY_PATH, key: MDEP }));
  const models = await writeModels(kc);
  const dataFolder = await claimHostFolder(kc, NS, "data");
  return {
    options,
    clusterName: name,
    kc,
    op,
    apiKey,
    models,
    dataFolder,
    vault,
    unseal: async () => {
      await initAndUnseal(layout, conn.address, conn.caFile);
    },
    log,
    cleanup: () => runCleanups(cleanups),
  };
}

async function runCleanups(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // best effort: the next one still runs
    }
  }
}
