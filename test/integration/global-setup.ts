// Starts one real control plane (the "test" cluster, its own ports and folder) for the whole integration run,
// with the CRDs installed, and hands the kubeconfig to the tests. LIFTOFF_KEEP_CLUSTER=1 leaves it running afterwards.
import type { TestProject } from "vitest/node";
import { ensurePrometheus } from "../../devcluster/cluster/binaries.js";
import { clusterDown, clusterUp } from "../../devcluster/cluster/cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
    helm: string;
    prometheus: string;
    promtool: string;
    clusterName: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const name = process.env.LIFTOFF_TEST_CLUSTER ?? "test";
  const cluster = await clusterUp(name, { fresh: true, build: true, log: () => undefined });
  console.error(
    `integration: test cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${cluster.kubeconfig})`,
  );
  project.provide("kubeconfig", cluster.kubeconfig);
  project.provide("kubectl", cluster.binaries.kubectl);
  project.provide("helm", cluster.binaries.helm);
  project.provide("prometheus", ensurePrometheus(true));
  project.provide("promtool", cluster.binaries.promtool);
  project.provide("clusterName", name);
  return async () => {
    if (!process.env.LIFTOFF_KEEP_CLUSTER) await clusterDown(name);
  };
}
