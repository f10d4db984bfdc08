// The samples in config/samples/, keyed by kind, re-targeted at a test namespace.
import { join } from "node:path";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import type { Kind } from "../validation-cases.js";
import { readYamlFile } from "./kube.js";

// biome-ignore lint/suspicious/noExplicitAny: samples are free-form YAML trees
export type Manifest = Record<string, any>;

const FILES: Record<Kind, string> = {
  DataSet: "liftoff_v1alpha1_dataset.yaml",
  TrainingJob: "liftoff_v1alpha1_trainingjob.yaml",
  TrainingSearch: "liftoff_v1alpha1_trainingsearch.yaml",
  ModelDeployment: "liftoff_v1alpha1_modeldeployment.yaml",
};

export function sample(kind: Kind, namespace: string, name?: string): Manifest {
  const [doc] = readYamlFile<Manifest>(join(REPO_ROOT, "config", "samples", FILES[kind]));
  if (!doc) throw new Error(`empty sample for ${kind}`);
  doc.metadata.namespace = namespace;
  if (name) doc.metadata.name = name;
  return doc;
}

export const KINDS = Object.keys(FILES) as Kind[];
