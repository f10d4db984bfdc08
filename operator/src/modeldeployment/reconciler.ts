// Reconciles one ModelDeployment in four steps: resolve the models, apply the children that differ from the desired
// state (deleting those no longer wanted), observe the status they show, and write it only when it changed.
import type { Logger } from "pino";
import type {
  DataSet,
  ModelDeployment,
  ModelDeploymentStatus,
  TrainingJob,
  TrainingSearch,
} from "../api/v1alpha1/index.js";
import type { Capabilities, MetricsAPIs } from "../capabilities.js";
import type { DesiredObject } from "../children/child.js";
import type { ActivatorAddress } from "../config.js";
import { storageNeedsVault } from "../contract/storage.js";
import { type Condition, findCondition, setCondition } from "../controller/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { applyIfDiffers, refusedChild } from "../kube/apply.js";
import type { KubeClient } from "../kube/client.js";
import type { Deployment, HorizontalPodAutoscaler, Node, Pod, ScaledObject } from "../kube/models.js";
import { parseQuantity } from "../kube/quantity.js";
import { apiVersionOf, RESOURCES, type ResourceType } from "../kube/resources.js";
import { type KubeObject, keyOf } from "../kube/types.js";
import { ConditionType, Reason, ReconcileFailure, stalled } from "../reasons.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import { ACTIVATOR_ANNOTATION } from "./autoscaling/activation.js";
import { dropControllerSlices } from "./autoscaling/slices.js";
import { withAutoscaling } from "./autoscaling/status.js";
import { type ResolvedCapture, resolveCapture } from "./capture.js";
import {
  autoscalingEngine,
  type DesiredContext,
  desiredObjects,
  type ModelCacheSettings,
  servingVaultRole,
  usesHTTPRoute,
} from "./desired.js";
import { withErasurePending } from "./erasure.js";
import { withGpuFallback } from "./gpu-status.js";
import { withLlmThroughput } from "./llm-status.js";
import { effectiveModelDeployment } from "./loop/effective.js";
import { type LoopStep, loopFailedCondition } from "./loop/machine.js";
import { LoopRunner, type LoopRunnerOptions } from "./loop/runner.js";
import { type ResolvedModel, resolveModel } from "./model-source.js";
import { baselineFor } from "./monitoring/baseline.js";
import type { MonitoringPush } from "./monitoring/desired.js";
import { type Observation, withMonitoring } from "./monitoring/status.js";
import { childNames, LABEL_MDEP } from "./names.js";
import { resolveSearches } from "./search-source.js";
import { computeStatus, podsOf } from "./status.js";

interface ModelDeploymentCaches {
  modelDeployments: ObjectCache<ModelDeployment>;
  trainingJobs: ObjectCache<TrainingJob>;
  pods: ObjectCache<Pod>;
  nodes: ObjectCache<Node>;
  /** DataSets, for monitoring.drift.baselineDataSetRef. */
  dataSets?: ObjectCache<DataSet>;
  /** TrainingSearches, for model.trainingSearchRef (search-source.ts). */
  trainingSearches?: ObjectCache<TrainingSearch>;
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
  /** The operator's --egress-allow: pods that fetch over http(s) get it as LIFTOFF_EGRESS_ALLOW. */
  egressAllow?: string;
  /** The ONNX pods' model cache (--model-cache-hostpath, --model-cache-gib); undefined: the defaults. */
  modelCache?: ModelCacheSettings;
  /** The latest merge of each ModelDeployment's pod counts (monitoring/snapshots.ts). */
  monitoring?: { get(key: string): Observation | undefined };
  /** Where monitored serving pods push their counts, and how often (the operator's report endpoint). */
  report?: MonitoringPush;
  /** The closed loop (spec.retrain): the monitoring period, per-track figures, the judge, metrics. */
  loop?: Pick<LoopRunnerOptions, "periodSeconds" | "figures" | "judge" | "metrics">;
  /**
   * The operator's autoscaling flags (--prometheus-url, --keda-polling-seconds) and the activator's advertised
   * addresses (undefined: the activator is off). Undefined: the defaults, activator off.
   */
  autoscaling?: {
    prometheusUrl: string;
    pollingSeconds: number;
    activatorAddresses: () => readonly ActivatorAddress[] | undefined;
  };
  /** The metrics APIs as their APIServices show now (setup.ts follows them); default: capabilities at start. */
  metricsAPIs?: () => MetricsAPIs | undefined;
  now?: () => string;
  /** Milliseconds clock for the settle limit and the loop's timers (tests move it). */
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
  Reason.AutoscalingMetricsUnavailable,
  Reason.ActivatorUnavailable,
  // The search served by model.trainingSearchRef failed (search-source.ts).
  Reason.TooManyTrialsFailed,
  Reason.NoTrialSucceeded,
]);

/** The monitoring period the loop counts Drifted in when the operator does not say (its --monitoring-period default). */
const DEFAULT_LOOP_PERIOD_SECONDS = 60;

/** The earlier of two requeues (either may be absent). */
function soonest(out: ReconcileResult | undefined, loopMs: number | undefined): ReconcileResult | undefined {
  if (loopMs === undefined) return out;
  if (out?.requeueAfterMs === undefined) return { requeueAfterMs: loopMs };
  return { requeueAfterMs: Math.min(out.requeueAfterMs, loopMs) };
}

const OWNED_KINDS: ResourceType[] = [
  RESOURCES.ServiceAccount,
  RESOURCES.Deployment,
  RESOURCES.Service,
  RESOURCES.PodDisruptionBudget,
  RESOURCES.HorizontalPodAutoscaler,
  RESOURCES.NetworkPolicy,
  // The public Service's Endpoints at the activator (scale to zero).
  RESOURCES.Endpoints,
];

export function ownedKinds(caps: Capabilities): ResourceType[] {
  return [
    ...OWNED_KINDS,
    ...(caps.keda ? [RESOURCES.ScaledObject] : []),
    ...(caps.serviceMonitor ? [RESOURCES.ServiceMonitor] : []),
    ...(caps.gatewayAPI ? [RESOURCES.HTTPRoute] : []),
    ...(caps.prometheusRule ? [RESOURCES.PrometheusRule] : []),
  ];
}

/** A Deployment its controller has not yet seen at its current generation (its status will change soon). */
function unobserved(dep: Deployment | undefined): boolean {
  return dep !== undefined && (dep.status?.observedGeneration ?? 0) < (dep.metadata?.generation ?? 1);
}

/**
 * The event a status write should wait for, if one is on its way: the echo of children just written, or a rollout
 * the Deployment controller has yet to observe. Never when something failed: that is said at once.
 */
export function awaitedEvent(
  failure: ReconcileFailure | undefined,
  written: boolean,
  deployments: readonly (Deployment | undefined)[],
): "own writes" | "rollout" | undefined {
  if (failure) return undefined;
  if (written) return "own writes";
  if (deployments.some(unobserved)) return "rollout";
  return undefined;
}

/** What the resolve step found: the models to serve and the drift baseline, or why there are none. */
interface Resolution {
  models?: Models;
  failure?: ReconcileFailure;
  baseline?: ReturnType<typeof baselineFor>;
}

interface Models {
  stable: ResolvedModel;
  canary?: ResolvedModel;
  capture?: ResolvedCapture;
}

/** What the apply step left: the children as the API server returned them, and whether any write will echo. */
interface Applied {
  live: Map<string, KubeObject>;
  written: boolean;
  failure?: ReconcileFailure;
}

/** What the observe step saw: the status to write, and the Deployments it read (one mid-rollout holds the write). */
interface Observed {
  status: ModelDeploymentStatus;
  deployments: (Deployment | undefined)[];
}

/** Largest nvidia.com/gpu allocatable on any node (0 when none has GPUs). */
function maxGpuPerNode(nodes: readonly Node[]): number {
  return nodes.reduce((max, n) => Math.max(max, parseQuantity(n.status?.allocatable?.["nvidia.com/gpu"]) ?? 0), 0);
}

/**
 * A ModelDeployment that needs Vault (spec.auth) and is Ready at its generation, reconciled by an operator without
 * Vault: its pods got their Vault identity from an operator that had it, and keep serving. This operator can build
 * no pod for it, so it changes nothing (only new work waits for --vault-addr).
 */
function servesWithoutOperatorVault(mdep: ModelDeployment, vault: VaultSettings | undefined): boolean {
  if (!mdep.spec.auth || vault) return false;
  const ready = findCondition(mdep.status?.conditions, ConditionType.Ready);
  const gen = mdep.metadata?.generation;
  return ready?.status === "True" && mdep.status?.observedGeneration === gen && ready.observedGeneration === gen;
}

export class ModelDeploymentReconciler implements Reconciler {
  readonly kind = RESOURCES.ModelDeployment.kind;
  private readonly now: () => string;
  private readonly owned: ReadonlyMap<ResourceType, ObjectCache>;
  private readonly clockMs: () => number;
  /** Since when each key has held back a status write (see SETTLE_LIMIT_MS). */
  private readonly settlingSince = new Map<string, number>();
  private readonly loop: LoopRunner;

  constructor(private readonly o: ModelDeploymentReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    this.owned = new Map(o.caches.owned.map((c) => [c.resource, c]));
    this.clockMs = o.clockMs ?? Date.now;
    const deployments = this.ownedCache(RESOURCES.Deployment);
    this.loop = new LoopRunner({
      client: o.client,
      trainingJobs: o.caches.trainingJobs,
      ...(o.caches.dataSets ? { dataSets: o.caches.dataSets } : {}),
      ...(deployments ? { deployments } : {}),
      events: o.events,
      periodSeconds: o.loop?.periodSeconds ?? DEFAULT_LOOP_PERIOD_SECONDS,
      ...(o.loop?.figures ? { figures: o.loop.figures } : {}),
      ...(o.loop?.judge ? { judge: o.loop.judge } : {}),
      ...(o.loop?.metrics ? { metrics: o.loop.metrics } : {}),
      clockMs: this.clockMs,
    });
  }

  /** The capabilities detected at start, with the metrics APIs as they are now. */
  private capabilities(): Capabilities {
    const live = this.o.metricsAPIs?.();
    return live ? { ...this.o.capabilities, metricsAPIs: live } : this.o.capabilities;
  }

  /** DesiredContext.autoscaling from the operator's flags. */
  private autoscalingContext(): DesiredContext["autoscaling"] {
    const a = this.o.autoscaling;
    if (!a) return undefined;
    const addresses = a.activatorAddresses();
    return {
      prometheusUrl: a.prometheusUrl,
      pollingSeconds: a.pollingSeconds,
      ...(addresses ? { activatorAddresses: addresses } : {}),
    };
  }

  /** The cache of an owned resource, typed as that resource's objects. */
  private ownedCache<T extends KubeObject>(r: ResourceType<T>): ObjectCache<T> | undefined {
    return this.owned.get(r) as ObjectCache<T> | undefined;
  }

  private trainingJob(namespace: string) {
    return (name: string) => this.o.caches.trainingJobs.get(`${namespace}/${name}`);
  }

  private trainingSearch(namespace: string) {
    return (name: string) => this.o.caches.trainingSearches?.get(`${namespace}/${name}`);
  }

  private dataSet(namespace: string) {
    return (name: string) => this.o.caches.dataSets?.get(`${namespace}/${name}`);
  }

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.caches.modelDeployments.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) {
      this.settlingSince.delete(key);
      return undefined; // children go with it (owner references)
    }
    if (servesWithoutOperatorVault(cached, this.o.vault)) {
      log.info("serving with Vault set up by an operator that had it; left as it is until this one has --vault-addr");
      return undefined;
    }
    // Before everything else: a search's best trial stands in for it as trainingJobRef (in memory only).
    const search = resolveSearches(structuredClone(cached), this.trainingSearch(cached.metadata?.namespace ?? ""));
    const mdep = search.mdep;
    // The loop next: its stage decides which models serve (promoted stable, candidate canary). While the search has
    // no model there is nothing to serve or retrain: the loop holds where it was.
    const prevLoop = mdep.status?.loop;
    const step: LoopStep = search.failure
      ? { ...(prevLoop ? { loop: prevLoop } : {}), actions: [], events: [] }
      : await this.loop.step(key, mdep, log, signal);
    const view = search.failure ? mdep : this.servingView(mdep, step);
    const resolved: Resolution = search.failure ? { failure: search.failure } : this.resolve(view, log);
    const applied = resolved.models
      ? await this.applyChildren(view, resolved.models, resolved.baseline, log, signal)
      : { live: new Map<string, KubeObject>(), written: false };
    const failure = resolved.failure ?? applied.failure;
    const observed = this.observe(key, view, resolved, applied.live, failure);
    this.withLoopStatus(mdep, observed.status, step);
    // A stage change is said at once, not held back for the echo of the children it changed.
    const loopMoved = prevLoop?.stage !== step.loop?.stage || prevLoop?.iteration !== step.loop?.iteration;
    const awaited = loopMoved ? undefined : awaitedEvent(failure, applied.written, observed.deployments);
    let wrote = false;
    const out = await this.write(key, mdep, observed, awaited, log, signal, () => {
      wrote = true;
    });
    await this.loop.recorded(mdep, prevLoop, step, wrote);
    return soonest(out, step.requeueAfterMs);
  }

  /**
   * The ModelDeployment as the serving children are built from it: status.loop as this step left it, spec.model the
   * promoted model while the promotion stands, spec.canary the candidate while it is judged. In memory only.
   */
  private servingView(mdep: ModelDeployment, step: LoopStep): ModelDeployment {
    if (!step.loop) return mdep;
    const ns = mdep.metadata?.namespace ?? "";
    const withLoop = { ...mdep, status: { ...(mdep.status ?? {}), loop: step.loop } };
    return effectiveModelDeployment(withLoop, (n) => this.trainingJob(ns)(n) !== undefined);
  }

  /** status.loop and the LoopFailed condition it implies. */
  private withLoopStatus(mdep: ModelDeployment, status: ModelDeploymentStatus, step: LoopStep): void {
    if (!step.loop) return;
    status.loop = step.loop;
    const cond = loopFailedCondition(step.loop);
    if (cond) {
      status.conditions = setCondition(
        status.conditions as Condition[] | undefined,
        cond,
        mdep.metadata?.generation,
        this.now,
      );
    }
  }

  /** The models to serve (a failure when they cannot be), and the drift baseline for them. */
  private resolve(mdep: ModelDeployment, log: Logger): Resolution {
    let models: Models;
    try {
      models = this.resolveModels(mdep, log);
    } catch (err) {
      if (!(err instanceof ReconcileFailure)) throw err;
      return { failure: err };
    }
    const ns = mdep.metadata?.namespace ?? "";
    const baseline = baselineFor(mdep, models.stable, (n) => this.o.caches.dataSets?.get(`${ns}/${n}`));
    return { models, baseline };
  }

  private resolveModels(mdep: ModelDeployment, log: Logger): Models {
    const ns = mdep.metadata?.namespace ?? "";
    if (mdep.spec.auth && !this.o.vault) {
      throw stalled(
        Reason.VaultUnreachable,
        `spec.auth reads API keys from Vault path "${mdep.spec.auth.apiKeys.path}" as role "${servingVaultRole(mdep)}", but the operator has no Vault: start it with --vault-addr (docs/vault.md)`,
      );
    }
    const stable = resolveModel(mdep.spec.model, this.trainingJob(ns), mdep.spec.storage, this.dataSet(ns));
    if (storageNeedsVault(stable.storage) && !this.o.vault) {
      throw stalled(
        Reason.VaultUnreachable,
        `the model ${stable.uri} is read with S3 keys from Vault as role "${servingVaultRole(mdep)}", but the operator has no Vault: start it with --vault-addr (docs/vault.md)`,
      );
    }
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
    const engine = autoscalingEngine(mdep, {
      capabilities: this.capabilities(),
      autoscaling: this.autoscalingContext(),
    });
    if (engine && "reason" in engine) throw stalled(engine.reason, engine.message);
    const capture = resolveCapture(mdep, this.trainingJob(ns), this.dataSet(ns));
    if (capture?.needsVault && !this.o.vault) {
      throw stalled(
        Reason.VaultUnreachable,
        `capture reads its pii salt or data keys from Vault as role "${servingVaultRole(mdep)}", but the operator has no Vault: start it with --vault-addr (docs/vault.md)`,
      );
    }
    let canary: ResolvedModel | undefined;
    if (mdep.spec.canary?.model) {
      try {
        canary = resolveModel(mdep.spec.canary.model, this.trainingJob(ns), mdep.spec.storage, this.dataSet(ns));
      } catch (err) {
        if (!(err instanceof ReconcileFailure)) throw err;
        log.info({ reason: err.reason }, `canary not deployed: ${err.message}`);
      }
    }
    return { stable, ...(canary ? { canary } : {}), ...(capture ? { capture } : {}) };
  }

  /** Applies the children that differ (concurrently: SSA needs no order), then deletes those no longer wanted. */
  private async applyChildren(
    mdep: ModelDeployment,
    models: Models,
    baseline: Resolution["baseline"],
    log: Logger,
    signal: AbortSignal,
  ): Promise<Applied> {
    const desired = desiredObjects(mdep, {
      runtimeImage: this.o.runtimeImage,
      stable: models.stable,
      canary: models.canary,
      capabilities: this.capabilities(),
      autoscaling: this.autoscalingContext(),
      vault: this.o.vault,
      baseline: baseline && "uri" in baseline ? baseline : undefined,
      egressAllow: this.o.egressAllow,
      report: this.o.report,
      modelCache: this.o.modelCache,
      capture: models.capture,
    });
    const results = await Promise.all(desired.map((d) => this.applyChild(mdep, d, log, signal)));
    const applied: Applied = { live: new Map(), written: false };
    for (const r of results) {
      if ("failure" in r) applied.failure ??= r.failure;
      else {
        applied.live.set(r.key, r.object);
        applied.written ||= r.written;
      }
    }
    if (!applied.failure) {
      const wanted = new Set(desired.map((d) => `${d.resource.plural}/${keyOf(d.object)}`));
      await this.deleteUnwanted(mdep, wanted, log, signal);
      await this.dropStaleSlices(desired, results, log, signal);
    }
    return applied;
  }

  /** The public Service just turned selector-less (scale to zero): the EndpointSlice controller's slices go (slices.ts). */
  private async dropStaleSlices(
    desired: readonly DesiredObject[],
    results: readonly Awaited<ReturnType<ModelDeploymentReconciler["applyChild"]>>[],
    log: Logger,
    signal: AbortSignal,
  ): Promise<void> {
    const svc = desired.find(
      (d) => d.resource === RESOURCES.Service && d.object.metadata.annotations?.[ACTIVATOR_ANNOTATION] !== undefined,
    );
    if (!svc) return;
    const key = `${RESOURCES.Service.plural}/${keyOf(svc.object)}`;
    if (!results.some((r) => "key" in r && r.key === key && r.written)) return;
    const { namespace = "", name = "" } = svc.object.metadata;
    const dropped = await dropControllerSlices(this.o.client, namespace, name, signal);
    if (dropped.length > 0)
      log.info({ service: name, slices: dropped }, "deleted the EndpointSlice controller's slices");
  }

  /** The status the Deployments (as just applied, else as cached), the pods and the monitoring show. */
  private observe(
    key: string,
    mdep: ModelDeployment,
    resolved: Resolution,
    live: ReadonlyMap<string, KubeObject>,
    failure: ReconcileFailure | undefined,
  ): Observed {
    const { namespace = "", name = "" } = mdep.metadata ?? {};
    const names = childNames(name);
    const deployments = this.ownedCache(RESOURCES.Deployment);
    const liveDeployment = (track: "stable" | "canary") => {
      const key = `${namespace}/${names.deployment(track)}`;
      return (live.get(`deployments/${key}`) as Deployment | undefined) ?? deployments?.get(key);
    };
    const models = resolved.models;
    const stable = liveDeployment("stable");
    const canary = models?.canary ? liveDeployment("canary") : undefined;
    const pods = podsOf(
      this.o.caches.pods.list().filter((p) => p.metadata?.namespace === namespace),
      name,
    );
    const computed = computeStatus(
      mdep,
      {
        stable,
        canary,
        pods,
        failure,
        stableModel: models?.stable,
        canaryModel: models?.canary,
        trafficSplit: usesHTTPRoute(mdep, this.o.capabilities) ? "HTTPRoute" : "ReplicaRatio",
      },
      this.now,
    );
    const tjName = mdep.spec.model.trainingJobRef?.name;
    const baseline = resolved.baseline;
    const observation = this.o.monitoring?.get(key);
    const monitored = withMonitoring(
      computed,
      mdep,
      {
        observation,
        baselineFailure: baseline && "failure" in baseline ? baseline.failure : undefined,
        testMetrics: tjName ? this.trainingJob(namespace)(tjName)?.status?.finalMetrics : undefined,
      },
      this.now,
    );
    const withLlm = withLlmThroughput(withGpuFallback(monitored, mdep, observation, this.now), mdep, observation);
    const scaled = failure ? withLlm : withAutoscaling(withLlm, mdep, this.autoscaler(mdep, live, stable), this.now);
    const status = withErasurePending(scaled, mdep, this.o.caches.trainingJobs.list(), this.now);
    return { status, deployments: [stable, canary] };
  }

  /** What the stable track's autoscaler shows: the HPA that drives it (KEDA's or ours) and the ScaledObject. */
  private autoscaler(mdep: ModelDeployment, live: ReadonlyMap<string, KubeObject>, stable: Deployment | undefined) {
    const choice = autoscalingEngine(mdep, {
      capabilities: this.capabilities(),
      autoscaling: this.autoscalingContext(),
    });
    if (!choice || !("engine" in choice)) return undefined;
    const { namespace = "", name = "" } = mdep.metadata ?? {};
    const names = childNames(name);
    const read = <T extends KubeObject>(r: ResourceType<T>, n: string): T | undefined =>
      (live.get(`${r.plural}/${namespace}/${n}`) as T | undefined) ?? this.ownedCache(r)?.get(`${namespace}/${n}`);
    const keda = choice.engine === "keda";
    return {
      engine: choice.engine,
      hpa: read<HorizontalPodAutoscaler>(RESOURCES.HorizontalPodAutoscaler, keda ? names.kedaHpa("stable") : names.hpa),
      scaledObject: keda ? read<ScaledObject>(RESOURCES.ScaledObject, names.scaledObject("stable")) : undefined,
      deployment: stable,
    };
  }

  /**
   * Writes the status when it changed, unless an event that will change it again is on its way (`awaited`): then
   * it requeues, for no longer than SETTLE_LIMIT_MS in all.
   */
  private async write(
    key: string,
    mdep: ModelDeployment,
    { status }: Observed,
    awaited: ReturnType<typeof awaitedEvent>,
    log: Logger,
    signal: AbortSignal,
    onWritten: () => void = () => undefined,
  ): Promise<ReconcileResult | undefined> {
    if (stableStringify(status) === stableStringify(mdep.status ?? {})) {
      this.settlingSince.delete(key);
      return undefined;
    }
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
    const { namespace = "", name = "" } = mdep.metadata ?? {};
    await this.o.client.apply(
      RESOURCES.ModelDeployment,
      {
        apiVersion: apiVersionOf(RESOURCES.ModelDeployment),
        kind: RESOURCES.ModelDeployment.kind,
        metadata: { name, namespace },
        status,
      },
      "status",
      { signal },
    );
    onWritten();
    await this.recordTransitions(mdep, status.conditions ?? []);
    return undefined;
  }

  /** Applies one child unless the cached copy already matches; a permanent refusal becomes a failure. */
  private async applyChild(
    mdep: ModelDeployment,
    d: DesiredObject,
    log: Logger,
    signal: AbortSignal,
  ): Promise<{ key: string; object: KubeObject; written: boolean } | { failure: ReconcileFailure }> {
    const key = `${d.resource.plural}/${keyOf(d.object)}`;
    const current = this.owned.get(d.resource)?.get(keyOf(d.object));
    const out = await applyIfDiffers(this.o.client, d.resource, d.object, current, { signal });
    switch (out.result) {
      case "unchanged":
        return { key, object: out.object, written: false };
      case "refused": {
        const message = refusedChild(d.resource.kind, d.object.metadata?.name, out.error);
        return { failure: stalled(Reason.ApplyFailed, message) };
      }
      case "created":
        // Creation is routine (logged only); a new resourceVersion comes back through the child's watch.
        log.info({ child: key }, "created child");
        return { key, object: out.object, written: out.wrote };
      case "updated":
        // A change to an existing child means drift or a spec change: tell users.
        log.info({ child: key }, "updated child");
        await this.o.events.record(
          mdep,
          "Normal",
          Reason.ChildUpdated,
          `Updated ${d.resource.kind} ${d.object.metadata?.name}`,
        );
        return { key, object: out.object, written: out.wrote };
    }
  }

  /** Events for what users must hear about: a new failure reason (Warning), and recovery from one (Normal). */
  private async recordTransitions(
    mdep: ModelDeployment,
    next: { type: string; status: string; reason: string; message: string }[],
  ) {
    await this.recordMonitoringFlips(mdep, next);
    const prev = findCondition(mdep.status?.conditions, ConditionType.Ready);
    const ready = findCondition(next, ConditionType.Ready);
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
    for (const type of [ConditionType.Drifted, ConditionType.Degraded]) {
      const prev = findCondition(mdep.status?.conditions, type);
      const cur = findCondition(next, type);
      if (!cur || cur.status === "Unknown" || prev?.status === cur.status) continue;
      if (type === ConditionType.Degraded && !quality.has(cur.reason) && !quality.has(prev?.reason ?? "")) continue;
      // The first verdict "no drift" is not news.
      if (type === ConditionType.Drifted && (prev === undefined || prev.status === "Unknown") && cur.status === "False")
        continue;
      await this.o.events.record(mdep, cur.status === "True" ? "Warning" : "Normal", cur.reason, cur.message);
    }
  }

  /** Deletes children this ModelDeployment controls that its spec no longer asks for (e.g. a removed canary). */
  private async deleteUnwanted(
    mdep: ModelDeployment,
    wanted: Set<string>,
    log: Logger,
    signal: AbortSignal,
  ): Promise<void> {
    const uid = mdep.metadata?.uid;
    if (!uid) return;
    for (const cache of this.o.caches.owned) {
      const resource = cache.resource;
      // The owner index, not a scan of every cached child (that made each reconcile O(objects)).
      for (const obj of cache.ownedBy(uid)) {
        const m = obj.metadata ?? {};
        if (m.namespace !== mdep.metadata?.namespace || m.labels?.[LABEL_MDEP] !== mdep.metadata?.name) continue;
        if (wanted.has(`${resource.plural}/${keyOf(obj)}`) || m.deletionTimestamp) continue;
        await this.o.client.delete(resource, m.namespace, m.name ?? "", undefined, { signal });
        log.info({ child: `${resource.plural}/${keyOf(obj)}` }, "deleted child no longer wanted");
        await this.o.events.record(mdep, "Normal", Reason.ChildDeleted, `Deleted ${resource.kind} ${m.name}`);
      }
    }
  }
}
