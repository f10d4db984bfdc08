// The manifests the demo applies are the samples in config/samples/penguins/, so what it shows is what a user
// copies; only the namespace (and, for flags, a field or two) is set here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { clusterConfig, REPO_ROOT } from "../../devcluster/cluster/config.js";
import { readS3Connection, readS3Keys, seaweedfsLayout } from "../../devcluster/seaweedfs/seaweedfs.js";
import type { DemoStorage } from "./cli.js";
import type { LiftoffObject } from "./kube.js";
import { need } from "./steps.js";

export const SAMPLES_DIR = join(REPO_ROOT, "config", "samples", "penguins");
/** The same DataSet and TrainingJob with the CSV, the versions and the model in object storage (--storage s3). */
const S3_SAMPLES_DIR = join(REPO_ROOT, "config", "samples", "penguins-s3");
export const PENGUINS_CSV = join(REPO_ROOT, "examples", "penguins.csv");
/** The namespace the samples' Vault paths name; the demo rewrites it when --namespace differs. */
const SAMPLE_NAMESPACE = "liftoff-demo";

export type SampleFile = "dataset" | "trainingjob" | "modeldeployment";

/**
 * A sample as the demo applies it. With storage s3 the DataSet and TrainingJob come from config/samples/penguins-s3
 * (the ModelDeployment is the same: it reads the model with the storage its TrainingJob used).
 */
export function loadSample(file: SampleFile, namespace: string, storage: DemoStorage = "pvc"): LiftoffObject {
  const dir = storage === "s3" && file !== "modeldeployment" ? S3_SAMPLES_DIR : SAMPLES_DIR;
  const text = readFileSync(join(dir, `${file}.yaml`), "utf8").replaceAll(
    `secret/data/${SAMPLE_NAMESPACE}/`,
    `secret/data/${namespace}/`,
  );
  const obj = parse(text) as LiftoffObject;
  obj.metadata.namespace = namespace;
  return obj;
}

/** The local cluster's S3 server as the demo uses it: the host endpoint, the pods' one, the liftoff identity's keys. */
export function clusterS3(clusterName: string) {
  const config = clusterConfig(clusterName);
  const conn = readS3Connection(config);
  const keys = need(readS3Keys(seaweedfsLayout(config))?.liftoff, "the local S3 server's keys (npm run cluster:up)");
  return { conn, keys };
}

/** The closed-loop overlay (config/samples/penguins-loop): the penguins ModelDeployment with its patch applied. */
const LOOP_KUSTOMIZATION = join(REPO_ROOT, "config", "samples", "penguins-loop", "kustomization.yaml");

/** RFC 7386 merge patch, as kustomize applies a patch to a custom resource (pure). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The ModelDeployment `kubectl apply -k config/samples/penguins-loop` creates (what `npm start -- --loop` applies). */
export function loadLoopModelDeployment(namespace: string): LiftoffObject {
  const k = parse(readFileSync(LOOP_KUSTOMIZATION, "utf8")) as { patches: { patch: string }[] };
  const patch = parse(need(k.patches[0], "the overlay's patch").patch) as { spec: unknown };
  const mdep = loadSample("modeldeployment", namespace);
  mdep.spec = mergePatch(mdep.spec, patch.spec);
  return mdep;
}
