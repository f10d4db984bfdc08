// Reconciles one ModelDeployment: resolve the model, apply the children that differ from the desired state,
// delete children no longer wanted, and write status only when it changed.
import type { Logger } from "pino";
import type { DataSet, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import type { Capabilities } from "../capabilities.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import type { Deployment, Node, Pod } from "../kube/models.js";
import { parseQuantity } from "../kube/quantity.js";
import { apiVersionOf, RESOURCES, type ResourceType } from "../kube/resources.js";
import { isSubset } from "../kube/semantic.js";
import { type KubeObject, keyOf, splitKey } from "../kube/types.js";
import { baselineFor } from "../monitoring/baseline.js";
import { type Observation, withMonitoring } from "../monitoring/status.js";
import { Reason, ReconcileFailure, stalled } from "../reasons.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import { type DesiredObject, desiredObjects, servingVaultRole, usesHTTPRoute } from "./desired.js";
import { type ResolvedModel, resolveModel } from "./model-source.js";
import { childNames, LABEL_MDEP } from "./names.js";
import { computeStatus, podsOf } from "./status.js";

export interface ModelDeploymentCaches {
  modelDeployments: ObjectCache<ModelDeployment>;
  trainingJobs: ObjectCache<TrainingJob>;
  pods: ObjectCache<Pod>;
  nodes: ObjectCache<Node>;
  /** DataSets, for monitoring.drift.baselineDataSetRef. */
  dataSets?: ObjectCache<DataSet>;
  /** Caches of the kinds it owns (ownedKinds), each knowing its resource. */
  owned: readonly ObjectCache[];
}

export interface ModelDeploymentReconcilerOptions {
  client: KubeClient;
  caches: ModelDeploymentCaches;
  events: EventRecorder;
  runtimeImage: string;
  capabilities: Capabilities;
  /** Where serving pods find Vault (operator --vault-addr …); spec.auth needs it. */
  vault?: VaultSettings;
  /** The latest merge of each ModelDeployment's pod counts (monitoring/poller.ts). */
  monitoring?: { get(key: string): Observation | undefined };
  now?: () => string;
  /** Milliseconds clock for the settle limit (tests move it). */
  clockMs?: () => number;
}

/**
 * Longest a status write waits for an event that is known to be coming: the echo of a child just written, or the
 * Deployment controller observing a new generation. Writing earlier would only be overwritten by that event's
 * reconcile (a Progressing status, then Ready); the limit keeps status honest if the event never comes (say the
 * controller-manager is down).
 */
export const SETTLE_LIMIT_MS = 30_000;

/** Ready reasons that mean something is wrong (as opposed to work in progress). */
const FAILURE_REASONS = new Set<string>([
  Reason.ModelNotReady,
  Reason.CrashLoopBackOff,
  Reason.ContainerFailed,
  Reason.ImagePullFailed,
  Reason.Unschedulable,
  Reason.InsufficientGPU,
  Reason.UnsupportedModelURI,
  Reason.ProgressDeadlineExceeded,
  Reason.ApplyFailed,
  Reason.VaultUnreachable,
  Reason.VaultSealed,
  Reason.VaultPermissionDenied,
  Reason.SecretNotFound,
]);

export const OWNED_KINDS: ResourceType[] = [
  RESOURCES.ServiceAccount,
  RESOURCES.Deployment,
  RESOURCES.Service,
  RESOURCES.PodDisruptionBudget,
  RESOURCES.HorizontalPodAutoscaler,
  RESOURCES.NetworkPolicy,
];

export function ownedKinds(caps: Capabilities): ResourceType[] {
  return [
    ...OWNED_KINDS,
    ...(caps.serviceMonitor ? [RESOURCES.ServiceMonitor] : []),
    ...(caps.gatewayAPI ? [RESOURCES.HTTPRoute] : []),
    ...(caps.prometheusRule ? [RESOURCES.PrometheusRule] : []),
  ];
}

/** A Deployment its controller has not yet seen at its current generation (its status will change soon). */
function unobserved(dep: Deployment | undefined): boolean {
  return dep !== undefined && (dep.status?.observedGeneration ?? 0) < (dep.metadata?.generation ?? 1);
}

/** Largest nvidia.com/gpu allocatable on any node (0 when none has GPUs). */
export function maxGpuPerNode(nodes: readonly Node[]): number {
  return nodes.reduce((max, n) => Math.max(max, parseQuantity(n.status?.allocatable?.["nvidia.com/gpu"]) ?? 0), 0);
}

export class ModelDeploymentReconciler implements Reconciler {
  readonly kind = RESOURCES.ModelDeployment.kind;
  private readonly now: () => string;
  private readonly owned: ReadonlyMap<ResourceType, ObjectCache>;
  private readonly clockMs: () => number;
  /** Since when each key has held back a status write (see SETTLE_LIMIT_MS). */
  private readonly settlingSince = new Map<string, number>();

  constructor(private readonly o: ModelDeploymentReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    this.owned = new Map(o.caches.owned.map((c) => [c.resource, c]));
    this.clockMs = o.clockMs ?? Date.now;
  }

  /** The cache of an owned resource, typed as that resource's objects. */
  private ownedCache<T extends KubeObject>(r: ResourceType<T>): ObjectCache<T> | undefined {
    return this.owned.get(r) as ObjectCache<T> | undefined;
  }

  private trainingJob(namespace: string) {
    return (name: string) => this.o.caches.trainingJobs.get(`${namespace}/${name}`);
  }

  private resolve(mdep: ModelDeployment, log: Logger): { stable: ResolvedModel; canary?: ResolvedModel } {
    const ns = mdep.metadata?.namespace ?? "";
    if (mdep.spec.auth && !this.o.vault) {
      throw stalled(
        Reason.VaultUnreachable,
        `spec.auth reads API keys from Vault path "${mdep.spec.auth.apiKeys.path}" as role "${servingVaultRole(mdep)}", but the operator has no Vault: start it with --vault-addr (docs/vault.md)`,
      );
    }
    const stable = resolveModel(mdep.spec.model, this.trainingJob(ns));
    const gpu = mdep.spec.resources?.gpu ?? 0;
    if (gpu > 0) {
      const max = maxGpuPerNode(this.o.caches.nodes.list());
      if (gpu > max) {
        throw stalled(
          Reason.InsufficientGPU,
          `each pod requests ${gpu} nvidia.com/gpu but the largest node offers ${max}; lower resources.gpu or add GPU nodes`,
        );
      }
    }
    let canary: ResolvedModel | undefined;
    if (mdep.spec.canary?.model) {
      try {
        canary = resolveModel(mdep.spec.canary.model, this.trainingJob(ns));
      } catch (err) {
        if (!(err instanceof ReconcileFailure)) throw err;
        log.info({ reason: err.reason }, `canary not deployed: ${err.message}`);
      }
    }
    return canary ? { stable, canary } : { stable };
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.caches.modelDeployments.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) {
      this.settlingSince.delete(key);
      return undefined; // children go with it (owner references)
    }
    const mdep = structuredClone(cached);
    const { namespace = "", name } = splitKey(key);

    let models: { stable: ResolvedModel; canary?: ResolvedModel } | undefined;
    let failure: ReconcileFailure | undefined;
    try {
      models = this.resolve(mdep, log);
    } catch (err) {
      if (!(err instanceof ReconcileFailure)) throw err;
      failure = err;
    }

    const live = new Map<string, KubeObject>();
    let written = false;
    const baseline = models
      ? baselineFor(mdep, models.stable, (n) => this.o.caches.dataSets?.get(`${namespace}/${n}`))
      : undefined;
    if (models) {
      const desired = desiredObjects(mdep, {
        runtimeImage: this.o.runtimeImage,
        stable: models.stable,
        ...(models.canary ? { canary: models.canary } : {}),
        capabilities: this.o.capabilities,
        ...(this.o.vault ? { vault: this.o.vault } : {}),
        ...(baseline && "uri" in baseline ? { baseline } : {}),
      });
      const wanted = new Set(desired.map((d) => `${d.resource.plural}/${keyOf(d.object)}`));
      // Children are independent (SSA needs no order), so the ones that differ are applied concurrently.
      const results = await Promise.all(desired.map((d) => this.applyChild(mdep, d, log)));
      for (const r of results) {
        if ("failure" in r) failure ??= r.failure;
        else {
          live.set(r.key, r.object);
          written ||= r.written;
        }
      }
      if (!failure) await this.deleteUnwanted(mdep, wanted, log);
    }

    const names = childNames(name);
    const depKey = (track: "stable" | "canary") => `${namespace}/${names.deployment(track)}`;
    const deployments = this.ownedCache(RESOURCES.Deployment);
    const liveDeployment = (track: "stable" | "canary") =>
      (live.get(`deployments/${depKey(track)}`) as Deployment | undefined) ?? deployments?.get(depKey(track));
    const stable = liveDeployment("stable");
    const canary = models?.canary ? liveDeployment("canary") : undefined;
    const pods = podsOf(
      this.o.caches.pods.list().filter((p) => p.metadata?.namespace === namespace),
      name,
    );
    const computed = computeStatus(
      mdep,
      {
        ...(stable ? { stable } : {}),
        ...(canary ? { canary } : {}),
        pods,
        ...(failure ? { failure } : {}),
        ...(models ? { stableModel: models.stable } : {}),
        ...(models?.canary ? { canaryModel: models.canary } : {}),
        trafficSplit: usesHTTPRoute(mdep, this.o.capabilities) ? "HTTPRoute" : "ReplicaRatio",
      },
      this.now,
    );
    const tjName = mdep.spec.model.trainingJobRef?.name;
    const testMetrics = tjName ? this.trainingJob(namespace)(tjName)?.status?.finalMetrics : undefined;
    const status = withMonitoring(
      computed,
      mdep,
      {
        observation: this.o.monitoring?.get(key),
        ...(baseline && "failure" in baseline ? { baselineFailure: baseline.failure } : {}),
        ...(testMetrics ? { testMetrics } : {}),
      },
      this.now,
    );
    if (stableStringify(status) === stableStringify(mdep.status ?? {})) {
      this.settlingSince.delete(key);
      return undefined;
    }
    // Hold the write back while an event that will change it is on its way (never when something failed).
    const awaited = failure
      ? undefined
      : written
        ? "own writes"
        : [stable, canary].some(unobserved)
          ? "rollout"
          : undefined;
    if (awaited) {
      const since = this.settlingSince.get(key) ?? this.clockMs();
      this.settlingSince.set(key, since);
      const left = SETTLE_LIMIT_MS - (this.clockMs() - since);
      if (left > 0) {
        log.debug({ awaited }, "status write held back");
        return { requeueAfterMs: left };
      }
    }
    this.settlingSince.delete(key);
    await this.o.client.apply(
      RESOURCES.ModelDeployment,
      {
        apiVersion: apiVersionOf(RESOURCES.ModelDeployment),
        kind: RESOURCES.ModelDeployment.kind,
        metadata: { name, namespace },
        status,
      },
      "status",
    );
    await this.recordTransitions(mdep, status.conditions ?? []);
    return undefined;
  }

  /** Applies one child unless the live copy already matches; a refusal that retrying cannot fix becomes a failure. */
  private async applyChild(
    mdep: ModelDeployment,
    d: DesiredObject,
    log: Logger,
  ): Promise<{ key: string; object: KubeObject; written: boolean } | { failure: ReconcileFailure }> {
    const key = `${d.resource.plural}/${keyOf(d.object)}`;
    const current = this.owned.get(d.resource)?.get(keyOf(d.object));
    if (current && isSubset(d.object, current)) return { key, object: current, written: false };
    try {
      const object = await this.o.client.apply(d.resource, d.object);
      // A new resourceVersion comes back through the child's watch and requeues this object; a no-op apply does not.
      const written = object.metadata?.resourceVersion !== current?.metadata?.resourceVersion;
      log.info({ child: key }, current ? "updated child" : "created child");
      // Creation is routine (logged only); a change to an existing child means drift or a spec change: tell users.
      if (current) {
        await this.o.events.record(
          mdep,
          "Normal",
          Reason.ChildUpdated,
          `Updated ${d.resource.kind} ${d.object.metadata?.name}`,
        );
      }
      return { key, object, written };
    } catch (err) {
      // The API server refused what we built (an admission policy, a quota…): retrying the same body cannot help,
      // so say why in the status; conflicts, throttling and 5xx are retried with back-off instead.
      if (!(err instanceof KubeApiError) || err.code < 400 || err.code >= 500 || err.code === 409 || err.code === 429)
        throw err;
      const message = `cannot apply ${d.resource.kind} ${d.object.metadata?.name}: ${err.status?.message ?? err.message}`;
      return { failure: stalled(Reason.ApplyFailed, message) };
    }
  }

  /** Events for what users must hear about: a new failure reason (Warning), and recovery from one (Normal). */
  private async recordTransitions(
    mdep: ModelDeployment,
    next: { type: string; status: string; reason: string; message: string }[],
  ) {
    await this.recordMonitoringFlips(mdep, next);
    const prev = mdep.status?.conditions?.find((c) => c.type === "Ready");
    const ready = next.find((c) => c.type === "Ready");
    if (!ready || (prev?.status === ready.status && prev.reason === ready.reason)) return;
    const failing = (c?: { type: string; status: string; reason: string }) =>
      c !== undefined && c.status !== "True" && FAILURE_REASONS.has(c.reason);
    if (failing(ready)) await this.o.events.record(mdep, "Warning", ready.reason, ready.message);
    else if (ready.status === "True" && failing(prev))
      await this.o.events.record(mdep, "Normal", ready.reason, ready.message);
  }

  /** Drifted turning True or False, and Degraded turning True or False for a quality reason: an Event each. */
  private async recordMonitoringFlips(
    mdep: ModelDeployment,
    next: { type: string; status: string; reason: string; message: string }[],
  ) {
    const quality = new Set<string>([Reason.AccuracyBelowThreshold, Reason.F1BelowThreshold]);
    for (const type of ["Drifted", "Degraded"]) {
      const prev = mdep.status?.conditions?.find((c) => c.type === type);
      const cur = next.find((c) => c.type === type);
      if (!cur || cur.status === "Unknown" || prev?.status === cur.status) continue;
      if (type === "Degraded" && !quality.has(cur.reason) && !quality.has(prev?.reason ?? "")) continue;
      // The first verdict "no drift" is not news.
      if (type === "Drifted" && (prev === undefined || prev.status === "Unknown") && cur.status === "False") continue;
      await this.o.events.record(mdep, cur.status === "True" ? "Warning" : "Normal", cur.reason, cur.message);
    }
  }

  /** Deletes children this ModelDeployment controls that its spec no longer asks for (e.g. a removed canary). */
  private async deleteUnwanted(mdep: ModelDeployment, wanted: Set<string>, log: Logger): Promise<void> {
    const uid = mdep.metadata?.uid;
    for (const cache of this.o.caches.owned) {
      const resource = cache.resource;
      for (const obj of cache.list()) {
        const m = obj.metadata ?? {};
        if (m.namespace !== mdep.metadata?.namespace || m.labels?.[LABEL_MDEP] !== mdep.metadata?.name) continue;
        if (!m.ownerReferences?.some((r) => r.controller && r.uid === uid)) continue;
        if (wanted.has(`${resource.plural}/${keyOf(obj)}`) || m.deletionTimestamp) continue;
        await this.o.client.delete(resource, m.namespace, m.name ?? "");
        log.info({ child: `${resource.plural}/${keyOf(obj)}` }, "deleted child no longer wanted");
        await this.o.events.record(mdep, "Normal", Reason.ChildDeleted, `Deleted ${resource.kind} ${m.name}`);
      }
    }
  }
}
