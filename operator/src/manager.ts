// What a kind's setup function gets (kubebuilder's manager): the API client, shared typed caches, the event recorder,
// and a way to add a controller. The bootstrap (operator.ts) runs the caches once this replica leads and starts the
// controllers when every cache has synced.
import type { Logger } from "pino";
import type { Capabilities } from "./capabilities.js";
import type { OperatorConfig } from "./config.js";
import { Controller, type Reconciler } from "./controller/controller.js";
import type { EventRecorder } from "./controller/events.js";
import { Informer, InformerGroup, type ObjectCache } from "./controller/informer.js";
import type { KubeClient } from "./kube/client.js";
import type { ResourceType } from "./kube/resources.js";
import type { KubeObject } from "./kube/types.js";
import type { OperatorMetrics } from "./metrics.js";
import type { ReportSettings } from "./report/pod-spec.js";
import type { ReportRouter } from "./report/router.js";

export interface CacheOptions {
  /** Cache only objects with these labels (e.g. the children Liftoff manages), to keep memory to what is needed. */
  labelSelector?: string;
}

/** Result reporting from run pods (operator/src/report/, docs/architecture.md). */
export interface Reports {
  /** Kinds that run Jobs register the handler of their reports here. */
  router: ReportRouter;
  /** What run pods need to report back (reportPodParts); undefined when reporting is off. */
  settings?: ReportSettings;
}

export interface ManagerParts {
  client: KubeClient;
  config: OperatorConfig;
  capabilities: Capabilities;
  events: EventRecorder;
  log: Logger;
  reports: Reports;
}

export interface Manager extends Readonly<ManagerParts> {
  /**
   * The cache of one resource, shared: every kind that asks for the same resource and selector gets the same
   * informer, so a TrainingJob is listed and watched once whether one controller reads it or three do.
   */
  cache<T extends KubeObject>(resource: ResourceType<T>, opts?: CacheOptions): ObjectCache<T>;
  /** Adds a controller that reconciles the objects of `primary`; add its watches on the returned controller. */
  controller(reconciler: Reconciler, primary: ObjectCache): Controller;
  /** Adds a background task (controller-runtime's Runnable) started with the controllers and stopped before them. */
  runnable(r: Runnable): void;
  /** The operator's metrics, for a kind that sets its own gauges (absent in tests that need none). */
  readonly metrics?: OperatorMetrics;
}

export interface Runnable {
  start(): void;
  stop(): Promise<void>;
}

/** A kind's SetupWithManager: asks for the caches it reads, adds its controller and the watches that feed it. */
export type KindSetup = (mgr: Manager) => void;

export class OperatorManager implements Manager {
  readonly client: KubeClient;
  readonly config: OperatorConfig;
  readonly capabilities: Capabilities;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly reports: Reports;
  readonly metrics: OperatorMetrics;
  private readonly caches = new Map<string, InformerGroup>();
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];

  constructor(parts: ManagerParts & { metrics: OperatorMetrics }) {
    this.client = parts.client;
    this.config = parts.config;
    this.capabilities = parts.capabilities;
    this.events = parts.events;
    this.log = parts.log;
    this.reports = parts.reports;
    this.metrics = parts.metrics;
  }

  cache<T extends KubeObject>(resource: ResourceType<T>, opts: CacheOptions = {}): ObjectCache<T> {
    const id = `${resource.group}/${resource.plural}?${opts.labelSelector ?? ""}`;
    const existing = this.caches.get(id);
    if (existing) return existing as unknown as ObjectCache<T>;
    const scopes = resource.namespaced && this.config.namespaces.length > 0 ? this.config.namespaces : [undefined];
    const group = new InformerGroup(
      resource,
      scopes.map(
        (namespace) =>
          new Informer(this.client, resource, {
            ...(namespace ? { namespace } : {}),
            ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
            log: this.log,
            onRestart: (reason) => this.metrics.informerRestarts.inc({ resource: resource.plural, reason }),
          }),
      ),
    );
    this.caches.set(id, group as unknown as InformerGroup);
    return group;
  }

  controller(reconciler: Reconciler, primary: ObjectCache): Controller {
    const c = new Controller(reconciler, primary, {
      concurrency: this.config.concurrency,
      metrics: this.metrics,
      log: this.log,
    });
    this.controllers.push(c);
    return c;
  }

  runnable(r: Runnable): void {
    this.runnables.push(r);
  }

  /** Runs every cache (the returned promise settles when they stop) and waits until all have synced. */
  async startCaches(): Promise<void> {
    const groups = [...this.caches.values()];
    for (const g of groups) void g.run();
    await Promise.all(groups.map((g) => g.synced()));
  }

  startControllers(): void {
    for (const c of this.controllers) c.start();
    for (const r of this.runnables) r.start();
  }

  /** Stops the controllers (waiting for in-flight reconciles), then the caches. */
  async stop(): Promise<void> {
    await Promise.all(this.runnables.map((r) => r.stop()));
    await Promise.all(this.controllers.map((c) => c.stop()));
    for (const g of this.caches.values()) g.stop();
  }
}
