// Assembles the operator: API client, the manager (shared caches, event recorder, report router), each kind's
// controllers (kinds.ts), leader election, HTTP servers, graceful stop. Tests start it in-process; main.ts from the
// command line.
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import pino, { type Logger } from "pino";
import { ACTIVATOR_FIELD_MANAGER } from "./activator/activation.js";
import { type ActivatorHandle, startActivator } from "./activator/server.js";
import { type Capabilities, detectCapabilities } from "./capabilities.js";
import type { OperatorConfig } from "./config.js";
import { EventRecorder } from "./controller/events.js";
import { LeaderElector } from "./controller/leader.js";
import { KINDS } from "./kinds.js";
import { KubeClient, type Verb } from "./kube/client.js";
import { OperatorManager } from "./manager.js";
import { createOperatorMetrics, type OperatorMetrics } from "./metrics.js";
import { ReportRouter } from "./report/router.js";
import { kubeReportApi, type ReportServer, startReportServer } from "./report/server.js";
import { startServer } from "./server.js";

const FIELD_MANAGER = "liftoff-operator";
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
  /** The activator of scale-to-zero deployments, when --activator-bind-address is set. */
  activator?: Pick<ActivatorHandle, "url" | "address" | "held">;
  /** Resolves once this replica leads and its caches are synced. */
  leading: Promise<void>;
  /** Stops reconciling; releaseLease false simulates a crash (the lease is left to expire). */
  stop(opts?: { releaseLease?: boolean }): Promise<void>;
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

  const events = new EventRecorder(client, FIELD_MANAGER, log);
  // Controllers that run Jobs register a handler for their kind's reports; the endpoint starts below.
  const reportRouter = new ReportRouter();
  const manager = new OperatorManager({
    client,
    config,
    capabilities,
    events,
    log,
    metrics,
    reports: {
      router: reportRouter,
      ...(config.report
        ? { settings: { url: config.report.url, caPem: readFileSync(config.report.caFile, "utf8") } }
        : {}),
    },
  });
  for (const kind of Object.values(KINDS)) kind.setup(manager);

  let synced = false;
  let leader = !config.leaderElect;
  let resolveLeading!: () => void;
  const leading = new Promise<void>((r) => {
    resolveLeading = r;
  });
  const begin = async () => {
    metrics.leader.set(1);
    await manager.startCaches();
    synced = true;
    manager.startControllers();
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
  let unwatchTls: () => void = () => undefined;
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
    // cert-manager renews the Secret's files in place; serve the new pair without a restart. The CA pods get is
    // long-lived (config/certmanager), so it is read once.
    const { certFile, keyFile } = config.report;
    const reload = () => {
      try {
        reportServer?.reloadTls(readFileSync(certFile, "utf8"), readFileSync(keyFile, "utf8"));
        log.info({ certFile }, "report endpoint: reloaded its renewed certificate");
      } catch (err) {
        log.warn({ err, certFile }, "report endpoint: cannot load the renewed certificate; keeping the old one");
      }
    };
    watchFile(certFile, { interval: 30_000 }, reload);
    unwatchTls = () => unwatchFile(certFile, reload);
  }

  // Every replica serves the activator (its Endpoints may list any of them); it needs no lease: its only writes are
  // idempotent activation marks and a scale from 0 to 1, under a field manager of its own.
  let activator: ActivatorHandle | undefined;
  if (config.activator) {
    activator = await startActivator({
      host: config.activator.host,
      port: config.activator.port,
      namespaces: config.namespaces,
      client: new KubeClient(kc, {
        fieldManager: ACTIVATOR_FIELD_MANAGER,
        patchFieldManager: true,
        qps: config.qps,
        burst: config.burst,
        observe: (verb, resource, code, seconds) => {
          metrics.apiRequests.inc({ verb, resource, code: String(code) });
          if (verb !== "watch") metrics.apiDuration.observe({ verb }, seconds);
        },
      }),
      registry: metrics.registry,
      log,
    });
  }

  let elector: LeaderElector | undefined;
  let stopping = false;
  const stop = async ({ releaseLease = true }: { releaseLease?: boolean } = {}) => {
    if (stopping) return;
    stopping = true;
    await manager.stop();
    await activator?.close();
    if (releaseLease) await elector?.release();
    else elector?.abandon();
    metrics.leader.set(0);
    await server.close();
    unwatchTls();
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
    ...(activator ? { activator } : {}),
    leading,
    stop,
  };
}
