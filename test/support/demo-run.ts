// npm start's steps on the test cluster, in a namespace of the test's own: the same step code and samples as the
// demo. The steps that need the local cluster's own set-up (setup, build, cluster) are what the integration run's
// global setup already did, so they are always left out.
import type { KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";
import { parseDemoArgs } from "../../hack/demo/cli.js";
import { type DemoContext, runSteps, type Step } from "../../hack/demo/steps.js";
import { testNamespace } from "./kube.js";

export interface TestCluster {
  clusterName: string;
  kubeconfig: string;
  kubectl: string;
}

export interface DemoRun {
  namespace: string;
  /** Whether every step succeeded. */
  ok: boolean;
  /** The steps that ran. */
  steps: Step[];
  /** What each step recorded (ctx.results: "dataset", "progress", "accuracy", "apiKey" …). */
  results: Map<string, unknown>;
  /** The demo's printed lines. */
  lines: string[];
  /** Stops what the steps started (the operator) and deletes the namespace. */
  close(): Promise<void>;
}

/** The integration run's cluster (test/integration/global-setup.ts provides it). */
export function cluster(): TestCluster {
  return { clusterName: inject("clusterName"), kubeconfig: inject("kubeconfig"), kubectl: inject("kubectl") };
}

const SET_UP_BY_THE_TEST_RUN = ["setup", "build", "cluster"];

export async function runDemoSteps(
  kc: KubeConfig,
  prefix: string,
  cluster: TestCluster,
  opts: { steps: readonly Step[]; args?: readonly string[]; skip?: readonly string[] },
): Promise<DemoRun> {
  const ns = await testNamespace(kc, prefix);
  const lines: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const parsed = parseDemoArgs([...(opts.args ?? []), "--namespace", ns.name, "--exit"]);
  if (parsed.help) throw new Error("unexpected --help");
  const ctx: DemoContext = {
    options: parsed.options,
    log: (l) => lines.push(l),
    onCleanup: (_what, fn) => cleanups.push(fn),
    results: new Map(),
    kc,
    clusterName: cluster.clusterName,
    kubeconfigPath: cluster.kubeconfig,
    kubectl: cluster.kubectl,
  };
  const skip = new Set([...SET_UP_BY_THE_TEST_RUN, ...(opts.skip ?? [])]);
  const steps = opts.steps.filter((s) => !skip.has(s.name));
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn();
    await ns.delete();
  };
  const ok = await runSteps(steps, ctx);
  return { namespace: ns.name, ok, steps, results: ctx.results, lines, close };
}
