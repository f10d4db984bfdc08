// What the DataSet faults share: penguins sources on the "data" claim (the sample, and a copy many times larger
// so a prepare runs long enough to be interrupted), the DataSet object, its Jobs, and checking version folders.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { PENGUINS_CSV, PENGUINS_SCHEMA, PENGUINS_TRANSFORMS } from "../../../test/support/dataset.js";
import { applyObject } from "../../demo/kube.js";

/** A penguins-like row with random measurements (random, so the scratch and output files do not compress away). */
function randomRow(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const num = (lo: number, hi: number) => (lo + rnd() * (hi - lo)).toFixed(3);
  return [
    pick(["Adelie", "Chinstrap", "Gentoo"]),
    pick(["Biscoe", "Dream", "Torgersen"]),
    num(32, 60),
    num(13, 22),
    num(170, 232),
    num(2700, 6300),
    pick(["male", "female"]),
    String(2007 + Math.floor(rnd() * 3)),
  ].join(",");
}

/** raw/penguins.csv (the sample's 344 rows) and raw/penguins-<n>k.csv (n thousand random rows of the same schema):
 * paths on the "data" claim. */
export function writeSources(dataFolder: string, thousands: number): { small: string; large: string } {
  mkdirSync(join(dataFolder, "raw"), { recursive: true });
  const small = "raw/penguins.csv";
  const large = `raw/penguins-${thousands}k.csv`;
  writeFileSync(join(dataFolder, small), PENGUINS_CSV);
  if (!existsSync(join(dataFolder, large))) {
    const header = PENGUINS_CSV.slice(0, PENGUINS_CSV.indexOf("\n"));
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rows = Array.from({ length: thousands * 1000 }, () => randomRow(rnd));
    writeFileSync(join(dataFolder, large), `${header}\n${rows.join("\n")}\n`);
  }
  return { small, large };
}

export async function applyDataSet(
  kc: KubeConfig,
  namespace: string,
  name: string,
  sourcePath: string,
  outPath: string,
  // biome-ignore lint/suspicious/noExplicitAny: more of the spec (encryption)
  extra: Record<string, any> = {},
): Promise<void> {
  await applyObject(kc, {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "DataSet",
    metadata: { name, namespace },
    spec: {
      source: { pvc: { claimName: "data", path: sourcePath } },
      schema: PENGUINS_SCHEMA,
      transforms: PENGUINS_TRANSFORMS,
      output: { claimName: "data", path: outPath },
      resources: { cpu: "1", memory: "1Gi" },
      ...extra,
    },
  });
}

export async function jobsOf(kc: KubeConfig, namespace: string, dataSet: string): Promise<string[]> {
  const jobs = await kc
    .makeApiClient(BatchV1Api)
    .listNamespacedJob({ namespace, labelSelector: `liftoff.dev/dataset=${dataSet}` });
  return jobs.items.map((j) => j.metadata?.name ?? "");
}

export async function podsOfJob(kc: KubeConfig, namespace: string, job: string): Promise<V1Pod[]> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return pods.items;
}

/** A TrainingJob on a DataSet, writing to `outPath` on the "data" claim. */
export function trainingJob(
  namespace: string,
  name: string,
  dataSet: string,
  outPath: string,
  opts: { units: number[]; epochs: number; seed: number; memory: string },
) {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingJob" as const,
    metadata: { name, namespace },
    spec: {
      dataSetRef: { name: dataSet },
      task: "multiclass",
      model: { layers: opts.units.map((units) => ({ type: "dense", units, activation: "relu" })) },
      hyperparameters: {
        optimizer: "adam",
        learningRate: 0.01,
        epochs: opts.epochs,
        batchSize: 16,
        metrics: ["accuracy"],
        seed: opts.seed,
      },
      resources: { cpu: "1", memory: opts.memory },
      output: { claimName: "data", path: outPath },
    },
  };
}

export async function trainingPods(kc: KubeConfig, namespace: string, tj: string): Promise<V1Pod[]> {
  const pods = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace, labelSelector: `liftoff.dev/trainingjob=${tj}` });
  return pods.items;
}
