// Assembles the operator: API client, informers, controllers, leader election, HTTP server, graceful stop.
// Tests start it in-process; main.ts starts it from the command line.
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import pino, { type Logger } from "pino";
import type { OperatorConfig } from "./config.js";
import { Controller, ownerKeyMapper } from "./controller/controller.js";
import { EventRecorder } from "./controller/events.js";
import { Informer, InformerGroup } from "./controller/informer.js";
import { LeaderElector } from "./controller/leader.js";
import { KubeApiError, KubeClient, type Verb } from "./kube/client.js";
import { RESOURCES, type ResourceType } from "./kube/resources.js";
import type { KubeObject } from "./kube/types.js";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.js";
import type { Capabilities } from "./modeldeployment/desired.js";
import { LABEL_MDEP, MANAGED_BY } from "./modeldeployment/names.js";
import { ModelDeploymentReconciler, ownedKinds } from "./modeldeployment/reconciler.js";
import type { ReportSettings } from "./report/pod-spec.js";
import { ReportRouter } from "./report/router.js";
import { kubeReportApi, type ReportServer, startReportServer } from "./report/server.js";
import { startServer } from "./server.js";

export const FIELD_MANAGER = "liftoff-operator";
const WRITE_VERBS = new Set<Verb>(["apply", "create", "update", "patch", "delete"]);

export interface OperatorHandle {
  config: OperatorConfig;
  metrics: OperatorMetrics;
  log: Logger;
  /** Port the HTTP server listens on. */
  port: number;
  isLeader(): boolean;
  /** API writes made so far, by "verb resource". */
  writes(): Map<string, number>;
  capabilities: Capabilities;
  /** Port of the result-reporting endpoint (undefined when reporting is off). */
  reportPort?: number;
  /** Resolves once this replica leads and its caches are synced. */
  leading: Promise<void>;
  /** Stops reconciling; releaseLease false simulates a crash (the lease is left to expire). */
  stop(opts?: { releaseLease?: boolean }): Promise<void>;
}

async function crdExists(client: KubeClient, name: string): Promise<boolean> {
  try {
    return (await client.getOptional(RESOURCES.CustomResourceDefinition, undefined, name)) !== undefined;
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return false;
    throw err;
  }
}

export async function detectCapabilities(client: KubeClient): Promise<Capabilities> {
  const [serviceMonitor, gatewayAPI] = await Promise.all([
    crdExists(client, "servicemonitors.monitoring.coreos.com"),
    crdExists(client, "httproutes.gateway.networking.k8s.io"),
  ]);
  return { serviceMonitor, gatewayAPI };
}

export async function startOperator(
  config: OperatorConfig,
  opts: { kubeConfig?: KubeConfig; log?: Logger; onLostLeadership?: () => void } = {},
): Promise<OperatorHandle> {
  const log = opts.log ?? pino({ level: config.logLevel, base: { identity: config.identity } });
  const kc = opts.kubeConfig ?? new KubeConfig();
  if (!opts.kubeConfig) {
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) {
      // In a pod. The local node agent runs pods as processes under a root folder it names in LIFTOFF_PATH_PREFIX,
      // so the service-account files live below it; in a real container the prefix is unset.
      kc.loadFromCluster(process.env.LIFTOFF_PATH_PREFIX);
    } else kc.loadFromDefault();
  }
  const metrics = createOperatorMetrics();
  const writes = new Map<string, number>();
  const client = new KubeClient(kc, {
    fieldManager: FIELD_MANAGER,
    qps: config.qps,
    burst: config.burst,
    observe: (verb, resource, code, seconds) => {
      metrics.apiRequests.inc({ verb, resource, code: String(code) });
      if (verb !== "watch") metrics.apiDuration.observe({ verb }, seconds);
      if (WRITE_VERBS.has(verb)) writes.set(`${verb} ${resource}`, (writes.get(`${verb} ${resource}`) ?? 0) + 1);
    },
  });
  const capabilities = await detectCapabilities(client);
  log.info({ capabilities, namespaces: config.namespaces.length ? config.namespaces : "all" }, "starting");

  const scopes = config.namespaces.length > 0 ? config.namespaces : [undefined];
  const group = (r: ResourceType, labelSelector?: string) =>
    new InformerGroup(
      (r.namespaced ? scopes : [undefined]).map(
        (namespace) =>
          new Informer(client, r, {
            ...(namespace ? { namespace } : {}),
            ...(labelSelector ? { labelSelector } : {}),
            log,
            onRestart: (reason) => metrics.informerRestarts.inc({ resource: r.plural, reason }),
          }),
      ),
    );
  const managed = `app.kubernetes.io/managed-by=${MANAGED_BY["app.kubernetes.io/managed-by"]}`;
  const modelDeployments = group(RESOURCES.ModelDeployment);
  const trainingJobs = group(RESOURCES.TrainingJob);
  const pods = group(RESOURCES.Pod, LABEL_MDEP);
  const nodes = group(RESOURCES.Node);
  const owned = new Map(ownedKinds(capabilities).map((r) => [r.plural, group(r, managed)] as const));
  const all = [modelDeployments, trainingJobs, pods, nodes, ...owned.values()];

  const events = new EventRecorder(client, FIELD_MANAGER);
  // Controllers that run Jobs register a handler for their kind's reports; the endpoint starts below.
  const reportRouter = new ReportRouter();
  const reportSettings: ReportSettings | undefined = config.report
    ? { url: config.report.url, caPem: readFileSync(config.report.caFile, "utf8") }
    : undefined;
  void reportSettings;
  const reconciler = new ModelDeploymentReconciler({
    client,
    informers: { modelDeployments, trainingJobs, pods, nodes, owned },
    events,
    runtimeImage: config.runtimeImage,
    capabilities,
  });
  const controller = new Controller(reconciler, modelDeployments, { concurrency: config.concurrency, metrics, log });
  const toOwner = ownerKeyMapper("ModelDeployment");
  for (const informer of owned.values()) controller.watches(informer, toOwner);
  controller.watches(pods, (pod) => {
    const name = pod.metadata?.labels?.[LABEL_MDEP];
    return name && pod.metadata?.namespace ? [`${pod.metadata.namespace}/${name}`] : [];
  });
  controller.watches(trainingJobs, (tj) =>
    modelDeployments
      .list()
      .filter((m: KubeObject) => m.metadata?.namespace === tj.metadata?.namespace)
      .filter((m: KubeObject) =>
        [m.spec?.model?.trainingJobRef?.name, m.spec?.canary?.model?.trainingJobRef?.name].includes(tj.metadata?.name),
      )
      .map((m) => `${m.metadata?.namespace}/${m.metadata?.name}`),
  );
  // A node's GPUs only matter to ModelDeployments that ask for GPUs.
  controller.watches(nodes, () =>
    modelDeployments
      .list()
      .filter((m: KubeObject) => (m.spec?.resources?.gpu ?? 0) > 0)
      .map((m) => `${m.metadata?.namespace}/${m.metadata?.name}`),
  );

  let synced = false;
  let leader = !config.leaderElect;
  let resolveLeading!: () => void;
  const leading = new Promise<void>((r) => {
    resolveLeading = r;
  });
  const runLoops: Promise<void>[] = [];
  const begin = async () => {
    metrics.leader.set(1);
    for (const g of all) runLoops.push(g.run());
    await Promise.all(all.map((g) => g.synced()));
    synced = true;
    controller.start();
    log.info("caches synced; reconciling");
    resolveLeading();
  };

  const server = await startServer(config.metricsHost, config.metricsPort, metrics.registry, {
    notReady: () => (leader && !synced ? "caches not synced" : undefined),
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : config.metricsPort;
  // Every replica serves reports (a Service may route to any): handlers write status, which needs no lease.
  let reportServer: ReportServer | undefined;
  if (config.report) {
    reportServer = await startReportServer({
      host: config.report.host,
      port: config.report.port,
      cert: readFileSync(config.report.certFile, "utf8"),
      key: readFileSync(config.report.keyFile, "utf8"),
      api: kubeReportApi(client),
      router: reportRouter,
      log: log.child({ component: "report" }),
      onReport: (kind, code) => metrics.reports.inc({ kind, code: String(code) }),
    });
  }

  let elector: LeaderElector | undefined;
  let stopping = false;
  const stop = async ({ releaseLease = true }: { releaseLease?: boolean } = {}) => {
    if (stopping) return;
    stopping = true;
    await controller.stop();
    for (const g of all) g.stop();
    if (releaseLease) await elector?.release();
    else elector?.abandon();
    metrics.leader.set(0);
    await server.close();
    await reportServer?.close();
    log.info("stopped");
  };

  if (config.leaderElect) {
    elector = new LeaderElector(
      client,
      {
        namespace: config.leaseNamespace,
        name: config.leaseName,
        identity: config.identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
      },
      log,
    );
    void elector.run(
      () => {
        leader = true;
        void begin();
      },
      () => {
        // Never act on a lost lease: stop everything; main.ts exits non-zero so the pod restarts clean.
        leader = false;
        void stop().then(() => opts.onLostLeadership?.());
      },
    );
  } else {
    await begin();
  }

  return {
    config,
    metrics,
    log,
    port,
    isLeader: () => leader && !stopping,
    writes: () => new Map(writes),
    capabilities,
    ...(reportServer ? { reportPort: reportServer.port } : {}),
    leading,
    stop,
  };
}
