// An example TrainingSearch and its trial TrainingJobs as the API server lists them, for the search curves' unit tests
// and the picture in docs/kubectl-plugin.md (hack/search-curves-picture.ts): a random search over the digits MLP
// (learning rate, batch size, width, dropout) with the median rule, 12 of 16 trials created — six ran to the end,
// four were stopped early, one is running and one failed. The curves are made up (a saturating rise to each trial's
// plateau, with a fixed wobble): the shapes such a search gives, not measured ones.
import type { KubeObject } from "../cli/kube.js";

interface Example {
  params: { learningRate: number; batchSize: number; units: number; dropout: number };
  /** The val_accuracy it levels off at, and how fast it gets there. */
  plateau: number;
  rate: number;
  state: "Succeeded" | "StoppedEarly" | "Running" | "Failed";
  epochs: number;
  reason?: string;
}

const EPOCHS = 20;

const EXAMPLES: readonly Example[] = [
  {
    params: { learningRate: 0.0031, batchSize: 32, units: 64, dropout: 0.12 },
    plateau: 0.955,
    rate: 0.35,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.00021, batchSize: 128, units: 24, dropout: 0.41 },
    plateau: 0.87,
    rate: 0.12,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.012, batchSize: 64, units: 181, dropout: 0.05 },
    plateau: 0.9722,
    rate: 0.6,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.0009, batchSize: 16, units: 40, dropout: 0.3 },
    plateau: 0.93,
    rate: 0.25,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.047, batchSize: 128, units: 97, dropout: 0.22 },
    plateau: 0.945,
    rate: 0.7,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.00013, batchSize: 64, units: 17, dropout: 0.35 },
    plateau: 0.8,
    rate: 0.08,
    state: "StoppedEarly",
    epochs: 3,
    reason: "median at epoch 3: val_accuracy below the median of the 5 finished trials at that epoch",
  },
  {
    params: { learningRate: 0.0052, batchSize: 32, units: 210, dropout: 0.18 },
    plateau: 0.968,
    rate: 0.5,
    state: "Succeeded",
    epochs: EPOCHS,
  },
  {
    params: { learningRate: 0.00035, batchSize: 16, units: 30, dropout: 0.27 },
    plateau: 0.89,
    rate: 0.15,
    state: "StoppedEarly",
    epochs: 4,
    reason: "median at epoch 4: val_accuracy below the median of the 6 finished trials at that epoch",
  },
  {
    params: { learningRate: 0.083, batchSize: 64, units: 20, dropout: 0.45 },
    plateau: 0.9,
    rate: 0.5,
    state: "StoppedEarly",
    epochs: 6,
    reason: "median at epoch 6: val_accuracy below the median of the 6 finished trials at that epoch",
  },
  {
    params: { learningRate: 0.00018, batchSize: 128, units: 45, dropout: 0.08 },
    plateau: 0.82,
    rate: 0.1,
    state: "StoppedEarly",
    epochs: 2,
    reason: "median at epoch 2: val_accuracy below the median of the 6 finished trials at that epoch",
  },
  {
    params: { learningRate: 0.0071, batchSize: 32, units: 128, dropout: 0.15 },
    plateau: 0.965,
    rate: 0.45,
    state: "Running",
    epochs: 9,
  },
  {
    params: { learningRate: 0.099, batchSize: 16, units: 230, dropout: 0.02 },
    plateau: 0.5,
    rate: 0.5,
    state: "Failed",
    epochs: 1,
    reason: "NaNLoss: the loss became NaN at epoch 2",
  },
];

/** val_accuracy at epoch e: from 0.1 (chance on ten digits) up to the plateau, with a small fixed wobble. */
function accuracy(x: Example, i: number, e: number): number {
  const wobble = 0.004 * Math.sin(i * 12.9898 + e * 78.233);
  return Number((x.plateau - (x.plateau - 0.1) * Math.exp(-x.rate * e) + wobble).toFixed(4));
}

const T = "2026-12-06T11:00:00Z";

/** The search and its trials: `{search, jobs}`, with status.trialRecords, status.best and status.trials filled in. */
export function digitsSearch(): { search: KubeObject; jobs: KubeObject[] } {
  const name = "digits-search";
  const jobs = EXAMPLES.map((x, i): KubeObject => {
    const epochs = Array.from({ length: x.state === "Failed" ? 1 : x.epochs }, (_, k) => {
      const acc = accuracy(x, i, k + 1);
      return {
        epoch: k + 1,
        loss: Number((2.3 * (1 - acc)).toFixed(4)),
        metrics: { val_accuracy: acc, val_loss: Number((2.2 * (1 - acc) + 0.05).toFixed(4)) },
      };
    });
    const phase = x.state === "StoppedEarly" ? "Suspended" : x.state;
    return {
      metadata: {
        name: `${name}-${i}`,
        namespace: "demo",
        creationTimestamp: T,
        labels: { "liftoff.dev/trainingsearch": name, "liftoff.dev/trial-index": String(i) },
        annotations: {
          "liftoff.dev/trial-parameters": JSON.stringify(x.params),
          ...(x.state === "StoppedEarly" && x.reason ? { "liftoff.dev/stopped-early": x.reason } : {}),
        },
      },
      spec: { dataSetRef: { name: "digits" }, hyperparameters: { epochs: EPOCHS } },
      status: {
        phase,
        progress: { epoch: x.epochs, epochs: EPOCHS, percentage: Math.round((100 * x.epochs) / EPOCHS) },
        history: { stride: 1, epochs },
        conditions: [
          {
            type: "Ready",
            status: x.state === "Succeeded" ? "True" : "False",
            reason: x.state === "StoppedEarly" ? "Suspended" : x.state,
            message: "",
          },
          ...(x.state === "Failed"
            ? [{ type: "Failed", status: "True", reason: "NaNLoss", message: "the loss became NaN at epoch 2" }]
            : []),
        ],
      },
    };
  });
  const text = (p: Example["params"]) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
  const records = EXAMPLES.map((x, i) => {
    const last = jobs[i]?.status.history.epochs.at(-1)?.metrics.val_accuracy as number | undefined;
    return {
      index: i,
      name: `${name}-${i}`,
      state: x.state,
      parameters: text(x.params),
      ...(x.state === "Succeeded" && last !== undefined ? { objective: last } : {}),
      epochs: x.epochs,
      ...(x.reason ? { reason: x.reason } : {}),
    };
  });
  const best = records
    .filter((r) => r.objective !== undefined)
    .reduce((a, b) => ((b.objective as number) > (a.objective as number) ? b : a));
  const n = (s: Example["state"]) => EXAMPLES.filter((x) => x.state === s).length;
  const search: KubeObject = {
    metadata: { name, namespace: "demo", creationTimestamp: T, generation: 1 },
    spec: {
      template: {
        spec: { dataSetRef: { name: "digits" }, hyperparameters: { epochs: EPOCHS, metrics: ["accuracy"] } },
      },
      parameters: [
        { name: "learningRate", path: "hyperparameters.learningRate", float: { min: 0.0001, max: 0.1, log: true } },
        { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [16, 32, 64, 128] } },
        { name: "units", path: "model.layers[0].units", int: { min: 16, max: 256, log: true } },
        { name: "dropout", path: "model.layers[1].rate", float: { min: 0, max: 0.5 } },
      ],
      objective: { metric: "val_accuracy" },
      maxTrials: 16,
      parallelism: 2,
    },
    status: {
      phase: "Running",
      objective: { metric: "val_accuracy", goal: "maximize" },
      trials: {
        total: EXAMPLES.length,
        running: n("Running"),
        stoppedEarly: n("StoppedEarly"),
        succeeded: n("Succeeded"),
        failed: n("Failed"),
      },
      best: {
        trial: best.name,
        index: best.index,
        objective: best.objective,
        shortObjective: String(best.objective),
        parameters: best.parameters,
      },
      trialRecords: records,
      conditions: [{ type: "Ready", status: "False", reason: "Searching", message: "12 of 16 trials created" }],
    },
  };
  return { search, jobs };
}
