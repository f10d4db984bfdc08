// Plain objects as the API server lists them, for the tree's unit tests: the penguins lineage with a canary.
import type { KubeObject } from "../cli/kube.js";
import type { Snapshot } from "./build.js";

export const NOW = new Date("2026-12-06T12:00:00Z");
const T = "2026-12-06T11:50:00Z";
const D1 = `sha256:${"a1".repeat(32)}`;
const M1 = `sha256:${"b2".repeat(32)}`;
const M2 = `sha256:${"c3".repeat(32)}`;

const ready = (reason = "Available") => [{ type: "Ready", status: "True", reason, message: "" }];
const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  namespace: "demo",
  creationTimestamp: T,
  generation: 1,
  labels,
});

export function penguins(): Snapshot {
  const dataset: KubeObject = {
    metadata: meta("penguins"),
    status: {
      conditions: ready("Prepared"),
      digest: D1,
      version: D1.slice(7, 19),
      rows: { read: 344, dropped: 11, total: 333, train: 233, validation: 50, test: 50 },
    },
  };
  const tj = (name: string, digest: string): KubeObject => ({
    metadata: meta(name),
    spec: { dataSetRef: { name: "penguins" } },
    status: {
      conditions: ready("Succeeded"),
      phase: "Succeeded",
      progress: { epoch: 60, epochs: 60, percentage: 100, shortLoss: "0.0712" },
      model: { uri: `pvc://liftoff-data/models/${name}`, digest, version: "x" },
    },
  });
  const mdep: KubeObject = {
    metadata: meta("penguins"),
    spec: {
      model: { trainingJobRef: { name: "penguins" } },
      replicas: 1,
      canary: { model: { trainingJobRef: { name: "penguins-v2" } }, trafficPercent: 20 },
    },
    status: {
      conditions: ready(),
      readyReplicas: 1,
      model: { name: "penguins", uri: "pvc://liftoff-data/models/penguins", digest: M1, summary: "penguins" },
      canary: {
        uri: "pvc://liftoff-data/models/penguins-v2",
        trafficPercent: 20,
        readyReplicas: 1,
        trafficSplit: "ReplicaRatio",
      },
    },
  };
  const dep = (name: string, track: string): KubeObject => ({
    metadata: meta(name, { "liftoff.dev/modeldeployment": "penguins" }),
    spec: { replicas: 1, template: { metadata: { labels: { "liftoff.dev/track": track } } } },
    status: { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1 },
  });
  const pod = (name: string, track: string): KubeObject => ({
    metadata: meta(name, { "liftoff.dev/modeldeployment": "penguins", "liftoff.dev/track": track }),
    spec: { nodeName: "node-1", containers: [{ name: "runtime" }] },
    status: {
      phase: "Running",
      podIP: "10.0.0.7",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{ ready: true, restartCount: 0, state: { running: {} } }],
    },
  });
  return {
    datasets: [dataset],
    trainingjobs: [tj("penguins", M1), tj("penguins-v2", M2)],
    trainingsearches: [],
    modeldeployments: [mdep],
    deployments: [dep("penguins-predictor", "stable"), dep("penguins-canary", "canary")],
    pods: [pod("penguins-predictor-abc", "stable"), pod("penguins-canary-def", "canary")],
  };
}
