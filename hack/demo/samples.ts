// The manifests the demo applies are the samples in config/samples/penguins/, so what it shows is what a user
// copies; only the namespace (and, for flags, a field or two) is set here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import type { LiftoffObject } from "./kube.js";

export const SAMPLES_DIR = join(REPO_ROOT, "config", "samples", "penguins");
export const PENGUINS_CSV = join(REPO_ROOT, "examples", "penguins.csv");
/** The namespace the samples' Vault paths name; the demo rewrites it when --namespace differs. */
const SAMPLE_NAMESPACE = "liftoff-demo";

export type SampleFile = "dataset" | "trainingjob" | "modeldeployment";

export function loadSample(file: SampleFile, namespace: string): LiftoffObject {
  const text = readFileSync(join(SAMPLES_DIR, `${file}.yaml`), "utf8").replaceAll(
    `secret/data/${SAMPLE_NAMESPACE}/`,
    `secret/data/${namespace}/`,
  );
  const obj = parse(text) as LiftoffObject;
  obj.metadata.namespace = namespace;
  return obj;
}
