// Step 3: the cluster, either the local one (started or reused, stale state rebuilt) or the one in $KUBECONFIG.
import { ApiextensionsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { BIN_DIR } from "../../../devcluster/cluster/binaries.js";
import { clusterDown, ensureClusterUp } from "../../../devcluster/cluster/cluster.js";
import { clusterConfig } from "../../../devcluster/cluster/config.js";
import { checkState, STATE_VERSION, stampState } from "../state.js";
import { type DemoContext, type Step, StepFailure } from "../steps.js";

async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.readNamespace({ name }).catch(() => core.createNamespace({ body: { metadata: { name } } }));
}

async function reuse(ctx: DemoContext): Promise<string> {
  const path = process.env.KUBECONFIG;
  if (!path) throw new StepFailure("--reuse-cluster needs KUBECONFIG to name the cluster's kubeconfig");
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  await crds.readCustomResourceDefinition({ name: "modeldeployments.liftoff.dev" }).catch(() => {
    throw new StepFailure(
      `the cluster in ${path} (${kc.getCurrentCluster()?.server}) has no Liftoff CRDs; install the chart first (hack/kind/up.sh does)`,
    );
  });
  ctx.kc = kc;
  ctx.kubeconfigPath = path;
  ctx.kubectl = "kubectl";
  return `using ${kc.getCurrentCluster()?.server}`;
}

export const clusterStep: Step = {
  name: "cluster",
  title:
    "start (or reuse) the local Kubernetes cluster: etcd, kube-apiserver, controller-manager, scheduler, node agent",
  async run(ctx) {
    const summary = ctx.options.reuseCluster ? await reuse(ctx) : await local(ctx);
    await ensureNamespace(need(ctx), ctx.options.namespace);
    return summary;
  },
};

function need(ctx: DemoContext): KubeConfig {
  if (!ctx.kc) throw new StepFailure("internal: no cluster");
  return ctx.kc;
}

async function local(ctx: DemoContext): Promise<string> {
  const config = clusterConfig("local");
  let fresh = ctx.options.fresh;
  const state = checkState(config.stateDir);
  if (state.kind === "newer") {
    throw new StepFailure(
      `${config.stateDir} was written by a newer Liftoff (state version ${state.found}, this one knows ${STATE_VERSION}); ` +
        "check out that version, or run npm start -- --fresh to rebuild it",
    );
  }
  if (state.kind === "older" && !fresh) {
    ctx.log(
      `  ${config.stateDir} is from an older Liftoff (state version ${state.found}, now ${STATE_VERSION}): rebuilding it`,
    );
    fresh = true;
  }
  const cluster = await ensureClusterUp("local", { fresh, log: (l) => ctx.log(`  ${l}`) });
  stampState(config.stateDir);
  if (!cluster.alreadyRunning && !ctx.options.keepCluster) {
    ctx.onCleanup("local cluster", async () => {
      await clusterDown("local");
    });
  }
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  ctx.kc = kc;
  ctx.clusterName = "local";
  ctx.kubeconfigPath = cluster.kubeconfig;
  ctx.kubectl = `${BIN_DIR}/kubectl`;
  return cluster.alreadyRunning ? "already running; reused" : `API server ${cluster.server}`;
}
