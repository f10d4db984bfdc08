// `npm start`: the main job on this machine. Starts (or reuses) the local cluster, runs the operator, publishes a
// small model on a PersistentVolumeClaim, deploys it with a ModelDeployment, waits for Ready, sends a prediction
// through the serving pod, and keeps the operator running until Ctrl-C.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import * as tf from "@tensorflow/tfjs";
import pino from "pino";
import { ensureClusterUp } from "../devcluster/cluster/cluster.js";
import { claimHostFolder } from "../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../devcluster/node-agent/service-endpoint.js";
import { parseConfig } from "../operator/src/config.js";
import { startOperator } from "../operator/src/operator.js";
import { quietCpuBanner } from "../runtime/src/backends.js";
import { saveLayersModel } from "../runtime/src/test-helpers.js";

const NS = "default";
const NAME = "iris";

/** A 4-feature, 3-class classifier with fixed weights (no training needed for the demo). */
function irisModel(): tf.LayersModel {
  quietCpuBanner(); // the demo builds its model on tfjs's cpu backend on purpose
  const m = tf.sequential({
    layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: "softmax", name: "probs" })],
  });
  m.setWeights([
    tf.tensor2d([0.6, -0.2, -0.4, 0.9, 0.1, -1.0, -1.6, 0.4, 1.2, -1.4, 0.2, 1.2], [4, 3]),
    tf.tensor1d([0.1, 0.2, -0.3]),
  ]);
  return m;
}

async function main(): Promise<void> {
  const cluster = await ensureClusterUp("local");
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const log = pino({ level: "info" });

  const op = await startOperator(
    parseConfig(["--leader-elect=false", "--metrics-bind-address=127.0.0.1:0", `--namespaces=${NS}`], process.env),
    { kubeConfig: kc, log: log.child({ component: "operator" }) },
  );
  await op.leading;
  log.info(`operator metrics: http://127.0.0.1:${op.port}/metrics`);

  // The model lives on a claim of the local StorageClass; the demo writes it into the volume's folder.
  const folder = await claimHostFolder(kc, NS, "models");
  mkdirSync(join(folder, NAME), { recursive: true });
  await saveLayersModel(irisModel(), join(folder, NAME));

  const body = {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: NAME, namespace: NS },
    spec: {
      model: { uri: `pvc://models/${NAME}/model.json` },
      replicas: 1,
      batching: { maxBatchSize: 16, maxLatencyMs: 2 },
    },
  };
  const gvr = { group: "liftoff.dev", version: "v1alpha1", namespace: NS, plural: "modeldeployments" };
  await custom.createNamespacedCustomObject({ ...gvr, body }).catch(() => undefined);
  const started = Date.now();
  for (;;) {
    // biome-ignore lint/suspicious/noExplicitAny: reading status
    const m = (await custom.getNamespacedCustomObject({ ...gvr, name: NAME })) as any;
    const ready = m.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
    if (ready?.status === "True") break;
    if (Date.now() - started > 120_000) throw new Error(`not Ready after 120 s: ${ready?.reason}: ${ready?.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  log.info(`ModelDeployment ${NS}/${NAME} Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const ep = await serviceEndpoint(kc, NS, NAME);
  const res = await fetch(`${ep.url}/v1/models/${NAME}:predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
  });
  log.info(`prediction from ${ep.pod}: ${await res.text()}`);
  console.error(`
Try it:
  export KUBECONFIG=${cluster.kubeconfig}
  ~/.cache/liftoff/k8s-v1.35.4/kubectl get liftoff,deploy,svc,pods
  curl -s ${ep.url}/v2/models/${NAME}
  curl -s -X POST ${ep.url}/v1/models/${NAME}:predict -d '{"instances":[[6.7,3.0,5.2,2.3]]}'
The operator keeps running; Ctrl-C stops it (npm run cluster:down stops the cluster).`);
  const stop = () => void op.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
