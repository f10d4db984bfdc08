// What the DataSet faults share: penguins sources on the "data" claim (the sample, and a copy many times larger
// so a prepare runs long enough to be interrupted), the DataSet object, its Jobs, and checking version folders.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { PENGUINS_CSV, PENGUINS_SCHEMA, PENGUINS_TRANSFORMS } from "../../../test/support/dataset.js";
import { applyObject } from "../../demo/kube.js";

/** raw/penguins.csv (344 rows) and raw/penguins-x<n>.csv (the rows n times): paths on the "data" claim. */
export function writeSources(dataFolder: string, times: number): { small: string; large: string } {
  mkdirSync(join(dataFolder, "raw"), { recursive: true });
  const small = "raw/penguins.csv";
  const large = `raw/penguins-x${times}.csv`;
  writeFileSync(join(dataFolder, small), PENGUINS_CSV);
  if (!existsSync(join(dataFolder, large))) {
    const [header, ...rows] = PENGUINS_CSV.trimEnd().split("\n");
    const body = rows.join("\n");
    writeFileSync(join(dataFolder, large), `${header}\n${Array.from({ length: times }, () => body).join("\n")}\n`);
  }
  return { small, large };
}

export async function applyDataSet(
  kc: KubeConfig,
  namespace: string,
  name: string,
  sourcePath: string,
  outPath: string,
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
