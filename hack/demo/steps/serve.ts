// Steps: deploy the model with a ModelDeployment, wait for Ready, and predict through the serving pod.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../../devcluster/node-agent/service-endpoint.js";
import { quietCpuBanner } from "../../../runtime/src/backends.js";
import { saveLayersModel } from "../../../runtime/src/test-helpers.js";
import { applyObject, waitForCondition } from "../kube.js";
import { need, type Step, StepFailure } from "../steps.js";

const NAME = "iris";

/** Until TrainingJob lands: a 4-feature, 3-class classifier with fixed weights. */
function irisModel(): tf.LayersModel {
  quietCpuBanner(); // built on tfjs's cpu backend on purpose: no "looks like you are running TensorFlow.js" advice
  const m = tf.sequential({
    layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: "softmax", name: "probs" })],
  });
  m.setWeights([
    tf.tensor2d([0.6, -0.2, -0.4, 0.9, 0.1, -1.0, -1.6, 0.4, 1.2, -1.4, 0.2, 1.2], [4, 3]),
    tf.tensor1d([0.1, 0.2, -0.3]),
  ]);
  return m;
}

export const publishModelStep: Step = {
  name: "model",
  title: "write a small model to a PersistentVolumeClaim (stands in for a TrainingJob until one lands)",
  async run(ctx) {
    if (ctx.options.reuseCluster) throw new StepFailure("this step writes into the local cluster's volumes only");
    const folder = await claimHostFolder(need(ctx.kc, "the cluster"), ctx.options.namespace, "models");
    mkdirSync(join(folder, NAME), { recursive: true });
    await saveLayersModel(irisModel(), join(folder, NAME));
    return `pvc://models/${NAME}/model.json`;
  },
};

export const deployStep: Step = {
  name: "deploy",
  title: "apply a ModelDeployment and wait until its pod has loaded the model (Ready)",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const ref = { kind: "ModelDeployment", namespace: ctx.options.namespace, name: NAME } as const;
    await applyObject(kc, {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      metadata: { name: NAME, namespace: ctx.options.namespace },
      spec: {
        model: { uri: `pvc://models/${NAME}/model.json` },
        replicas: 1,
        batching: { maxBatchSize: 16, maxLatencyMs: 2 },
      },
    });
    await waitForCondition(kc, ref, "Ready", { timeoutMs: 120_000 });
    const ep = await serviceEndpoint(kc, ctx.options.namespace, NAME);
    ctx.results.set("endpoint", ep.url);
    return `serving at ${ep.url} from pod ${ep.pod}`;
  },
};

export const predictStep: Step = {
  name: "predict",
  title: "send a prediction through the serving pod (KServe V1 protocol)",
  async run(ctx) {
    const url = need(ctx.results.get("endpoint") as string | undefined, "the endpoint");
    const res = await fetch(`${url}/v1/models/${NAME}:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    const body = await res.text();
    if (!res.ok)
      throw new StepFailure(`HTTP ${res.status}: ${body}`, {
        kind: "ModelDeployment",
        namespace: ctx.options.namespace,
        name: NAME,
      });
    return body;
  },
};
