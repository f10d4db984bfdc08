// DataSet helpers for integration tests: the penguins spec, create, wait for a condition.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import type { Obj } from "./kube.js";
import { pollUntil } from "./poll.js";

export const PENGUINS_CSV = readFileSync(join(REPO_ROOT, "examples/penguins.csv"), "utf8");

export const PENGUINS_SCHEMA = {
  target: "species",
  columns: [
    { name: "species", type: "category" },
    { name: "island", type: "category" },
    { name: "bill_length_mm", type: "number" },
    { name: "bill_depth_mm", type: "number" },
    { name: "flipper_length_mm", type: "number" },
    { name: "body_mass_g", type: "number" },
    { name: "sex", type: "category" },
    { name: "year", type: "integer" },
  ],
};

const penguinLines = PENGUINS_CSV.trim().split("\n");
/** Penguins with a data subject's id per row (P1 … P344) as the first column: the erasure tests' data. */
export const PENGUINS_WITH_IDS_CSV = `penguin_id,${penguinLines[0]}\n${penguinLines
  .slice(1)
  .map((l, i) => `P${i + 1},${l}`)
  .join("\n")}\n`;
export const PENGUINS_WITH_IDS_SCHEMA = {
  ...PENGUINS_SCHEMA,
  columns: [{ name: "penguin_id", type: "string" }, ...PENGUINS_SCHEMA.columns],
};

export const PENGUINS_TRANSFORMS = [
  { type: "dropNA" },
  { type: "dropColumns", columns: ["year"] },
  { type: "standardize" },
  { type: "oneHot", columns: ["island", "sex"] },
];

/** A small TrainingJob on the penguins DataSet (a 16-unit MLP, Adam, seed 1), as the `train` tests run it. */
export function penguinsTrainingJob(epochs: number, name = "penguins"): Obj {
  return {
    kind: "TrainingJob",
    metadata: { name },
    spec: {
      dataSetRef: { name: "penguins" },
      task: "multiclass",
      model: { layers: [{ type: "dense", units: 16, activation: "relu" }] },
      hyperparameters: { learningRate: 0.02, epochs, batchSize: 16, metrics: ["accuracy"], seed: 1 },
    },
  };
}

const api = (kc: KubeConfig) => kc.makeApiClient(CustomObjectsApi);
const ref = (namespace: string, name?: string) => ({
  group: "liftoff.dev",
  version: "v1alpha1",
  namespace,
  plural: "datasets",
  ...(name ? { name } : {}),
});

export async function createDataSet(kc: KubeConfig, namespace: string, name: string, spec: Obj): Promise<void> {
  await api(kc).createNamespacedCustomObject({
    ...ref(namespace),
    body: { apiVersion: "liftoff.dev/v1alpha1", kind: "DataSet", metadata: { name, namespace }, spec },
  });
}

export async function getDataSet(kc: KubeConfig, namespace: string, name: string): Promise<Obj | undefined> {
  return (await api(kc)
    .getNamespacedCustomObject({ ...ref(namespace, name), name })
    .catch(() => undefined)) as Obj | undefined;
}

export async function deleteDataSet(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  await api(kc).deleteNamespacedCustomObject({ ...ref(namespace, name), name });
}

export const condition = (ds: Obj, type: string): Obj | undefined =>
  ds.status?.conditions?.find((c: Obj) => c.type === type);

/** Waits until the current generation's status shows Ready or Failed = True; returns the DataSet. */
export async function waitSettled(kc: KubeConfig, namespace: string, name: string, timeoutMs = 90_000): Promise<Obj> {
  return pollUntil(
    `DataSet ${name} Ready or Failed`,
    async () => {
      const ds = await getDataSet(kc, namespace, name);
      if (!ds || ds.status?.observedGeneration !== ds.metadata.generation) return undefined;
      const done = condition(ds, "Ready")?.status === "True" || condition(ds, "Failed")?.status === "True";
      return done ? ds : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}
