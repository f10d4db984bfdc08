// Computes a ModelDeployment's status from what the cluster shows (pure). Ready is True only when the current
// generation's desired replicas are available and no pod is failing; never while a pod crash-loops.
import type { ModelDeployment, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import { type PodFailure, podFailure, podFailureReason, podMessage } from "../children/pod-failure.js";
import { EGRESS_REFUSED } from "../contract/egress.js";
import { MODEL_TOO_LARGE } from "../contract/model-reasons.js";
import { STORAGE_REASONS } from "../contract/storage-reasons.js";
import { VAULT_REASONS } from "../contract/vault-reasons.js";
import { applyConditions, type Condition, type ConditionInput } from "../controller/conditions.js";
import type { KubeObject } from "../kube/types.js";
import { ConditionType, Reason, type ReconcileFailure } from "../reasons.js";
import { scalesToZero } from "./autoscaling/engine.js";
import { canaryReplicas, stableReplicas } from "./desired.js";
import type { ResolvedModel } from "./model-source.js";
import { childNames, podSelector, SERVICE_PORT, selectorString } from "./names.js";
import { searchSummary } from "./search-source.js";

export interface ObservedState {
  stable?: KubeObject | undefined;
  canary?: KubeObject | undefined;
  pods: KubeObject[];
  /** Set when the model could not be resolved or the spec cannot work. */
  failure?: ReconcileFailure | undefined;
  stableModel?: ResolvedModel | undefined;
  canaryModel?: ResolvedModel | undefined;
  trafficSplit?: "HTTPRoute" | "ReplicaRatio";
}

/**
 * A pod that stopped on a Vault failure, a refused model URL, an object storage failure (its s3:// model missing,
 * refused, unreachable or not matching its digest) or a model too large for its memory limit says so in its message
 * (runtime/src/vault/errors.ts, runtime/src/storage/errors.ts, runtime/src/commands/serve.ts; the contract's reasons).
 */
const POD_REASON = new RegExp(
  `\\b(${[...VAULT_REASONS, ...STORAGE_REASONS, EGRESS_REFUSED, MODEL_TOO_LARGE].join("|")}): `,
);

/** Longest URI end the MODEL column shows when the model has neither a TrainingJob nor a digest. */
const SUMMARY_URI_CHARS = 40;

/**
 * What a person scans the MODEL column for (status.model.summary): the TrainingJob it came from (and the search whose
 * best trial it is), else its short digest, else the end of its URI; the full URI stays in status.model.uri (`-o wide`).
 */
export function modelSummary(mdep: ModelDeployment, model: { uri: string; digest?: string }): string {
  const tj = mdep.spec.model.trainingJobRef?.name;
  const search = mdep.spec.model.trainingSearchRef?.name;
  if (tj && search) return searchSummary(search, tj);
  if (tj) return tj;
  if (model.digest) return model.digest.slice(0, "sha256:".length + 12);
  const uri = model.uri;
  return uri.length <= SUMMARY_URI_CHARS ? uri : `…${uri.slice(-(SUMMARY_URI_CHARS - 1))}`;
}

function failureReason(f: PodFailure): string {
  return POD_REASON.exec(f.message)?.[1] ?? podFailureReason(f);
}

interface RolloutState {
  desired: number;
  ready: number;
  available: number;
  updated: number;
  /** Pods of every ReplicaSet of the Deployment, old ones included (status.replicas). */
  total: number;
  current: boolean;
  deadlineExceeded: boolean;
}

function rollout(dep: KubeObject | undefined, desired: number | undefined): RolloutState {
  const s = dep?.status ?? {};
  const want = desired ?? dep?.spec?.replicas ?? 0;
  return {
    desired: want,
    ready: s.readyReplicas ?? 0,
    available: s.availableReplicas ?? 0,
    updated: s.updatedReplicas ?? 0,
    total: s.replicas ?? 0,
    current: Boolean(dep) && (s.observedGeneration ?? 0) >= (dep?.metadata?.generation ?? 1),
    deadlineExceeded: (s.conditions ?? []).some(
      (c: { type: string; reason?: string }) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded",
    ),
  };
}

// Old replicas still running (total > updated) keep the rollout in progress, as Argo CD's Deployment health and
// kstatus have it: until they are gone, some requests still reach the previous model.
function done(r: RolloutState): boolean {
  return (
    r.current && r.updated >= r.desired && r.available >= r.desired && r.ready >= r.desired && r.total <= r.updated
  );
}

export function computeStatus(
  mdep: ModelDeployment,
  observed: ObservedState,
  now: () => string,
): ModelDeploymentStatus {
  const name = mdep.metadata?.name ?? "";
  const ns = mdep.metadata?.namespace ?? "";
  const generation = mdep.metadata?.generation;
  const prev = mdep.status ?? {};
  const conditions: ConditionInput[] = [];
  const status: ModelDeploymentStatus = {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    url: `http://${childNames(name).service}.${ns}.svc.cluster.local${SERVICE_PORT === 80 ? "" : `:${SERVICE_PORT}`}`,
    selector: selectorString(podSelector(name, "stable")),
  };

  if (observed.failure) {
    const f = observed.failure;
    conditions.push({ type: ConditionType.Ready, status: "False", reason: f.reason, message: f.message });
    conditions.push({ type: ConditionType.ModelLoaded, status: "False", reason: f.reason, message: f.message });
    if (f.stalled)
      conditions.push({ type: ConditionType.Stalled, status: "True", reason: f.reason, message: f.message });
    else conditions.push({ type: ConditionType.Reconciling, status: "True", reason: f.reason, message: f.message });
    return {
      ...status,
      replicas: observed.stable?.status?.replicas ?? 0,
      readyReplicas: observed.stable?.status?.readyReplicas ?? 0,
      ...(prev.model ? { model: prev.model } : {}),
      conditions: applyConditions(prev.conditions as Condition[] | undefined, conditions, generation, now),
    };
  }

  const stable = rollout(observed.stable, stableReplicas(mdep));
  const canaryWanted = observed.canaryModel ? canaryReplicas(mdep) : 0;
  const canary = rollout(observed.canary, canaryWanted);
  const podProblem = podFailure(observed.pods);
  status.replicas = observed.stable?.status?.replicas ?? 0;
  status.readyReplicas = stable.ready;
  if (observed.stableModel) {
    status.model = {
      name,
      uri: observed.stableModel.uri,
      ...(observed.stableModel.digest ? { digest: observed.stableModel.digest } : {}),
      summary: modelSummary(mdep, observed.stableModel),
    };
  }
  if (observed.canaryModel && mdep.spec.canary) {
    status.canary = {
      uri: observed.canaryModel.uri,
      trafficPercent: mdep.spec.canary.trafficPercent,
      readyReplicas: canary.ready,
      trafficSplit: observed.trafficSplit ?? "ReplicaRatio",
    };
  }

  const allDone = done(stable) && (!observed.canaryModel || done(canary));
  const anyReady = stable.ready + canary.ready > 0;
  if (podProblem) {
    const reason = failureReason(podProblem);
    const message = `pod ${podProblem.pod}: ${podProblem.reason}: ${podMessage(podProblem.message, reason)}${podProblem.exitCode !== undefined ? ` (exit code ${podProblem.exitCode})` : ""}`;
    status.lastFailure = {
      reason: podProblem.reason,
      message: podProblem.message,
      ...(podProblem.exitCode !== undefined ? { exitCode: podProblem.exitCode } : {}),
      pod: podProblem.pod,
    };
    conditions.push({ type: ConditionType.Ready, status: "False", reason, message });
    conditions.push({ type: ConditionType.Degraded, status: "True", reason, message });
    conditions.push(
      anyReady
        ? {
            type: ConditionType.ModelLoaded,
            status: "True",
            reason: Reason.ModelLoaded,
            message: "at least one pod loaded the model",
          }
        : { type: ConditionType.ModelLoaded, status: "False", reason, message },
    );
    conditions.push({ type: ConditionType.Progressing, status: "False", reason, message });
    if (reason === Reason.Unschedulable)
      conditions.push({ type: ConditionType.Reconciling, status: "True", reason, message });
    else conditions.push({ type: ConditionType.Stalled, status: "True", reason, message });
  } else if (stable.deadlineExceeded && !allDone) {
    const message = `Deployment ${childNames(name).deployment("stable")} exceeded its progress deadline`;
    conditions.push({ type: ConditionType.Ready, status: "False", reason: Reason.ProgressDeadlineExceeded, message });
    conditions.push({
      type: ConditionType.Degraded,
      status: "False",
      reason: Reason.ProgressDeadlineExceeded,
      message,
    });
    conditions.push({
      type: ConditionType.ModelLoaded,
      status: anyReady ? "True" : "False",
      reason: anyReady ? Reason.ModelLoaded : Reason.ModelLoading,
      message,
    });
    conditions.push({
      type: ConditionType.Progressing,
      status: "False",
      reason: Reason.ProgressDeadlineExceeded,
      message,
    });
    conditions.push({ type: ConditionType.Stalled, status: "True", reason: Reason.ProgressDeadlineExceeded, message });
  } else if (allDone) {
    const n = stable.desired;
    const message =
      n === 0
        ? scalesToZero(mdep.spec.autoscaling)
          ? "no pods; the activator holds the first request until one is Ready"
          : "scaled to zero replicas"
        : `${stable.available}/${n} replicas available${observed.canaryModel ? `, canary ${canary.available}/${canary.desired} with ${mdep.spec.canary?.trafficPercent}% of traffic` : ""}`;
    conditions.push({
      type: ConditionType.Ready,
      status: "True",
      reason: n === 0 ? Reason.ScaledToZero : Reason.Available,
      message,
    });
    conditions.push({
      type: ConditionType.Degraded,
      status: "False",
      reason: Reason.Available,
      message: "no pod is failing",
    });
    conditions.push({
      type: ConditionType.ModelLoaded,
      status: n === 0 ? "False" : "True",
      reason: n === 0 ? Reason.ScaledToZero : Reason.ModelLoaded,
      message: n === 0 ? "no replicas" : "the model is loaded and serving",
    });
    conditions.push({
      type: ConditionType.Progressing,
      status: "False",
      reason: Reason.Available,
      message: "rollout complete",
    });
  } else {
    const reason =
      stable.updated < stable.desired || !stable.current || stable.total > stable.updated
        ? Reason.RolloutInProgress
        : Reason.PodsStarting;
    const old = stable.total > stable.updated ? `, ${stable.total - stable.updated} old still running` : "";
    const message = `${stable.ready}/${stable.desired} replicas ready, ${stable.updated} updated${old}${observed.canaryModel ? `; canary ${canary.ready}/${canary.desired} ready` : ""}`;
    conditions.push({ type: ConditionType.Ready, status: "False", reason, message });
    conditions.push({ type: ConditionType.Degraded, status: "False", reason, message: "no pod is failing" });
    conditions.push({
      type: ConditionType.ModelLoaded,
      status: anyReady ? "True" : "False",
      reason: anyReady ? Reason.ModelLoaded : Reason.ModelLoading,
      message: anyReady ? "the model is loaded on at least one pod" : "waiting for a pod to load the model",
    });
    conditions.push({ type: ConditionType.Progressing, status: "True", reason, message });
    conditions.push({ type: ConditionType.Reconciling, status: "True", reason, message });
  }
  status.conditions = applyConditions(prev.conditions as Condition[] | undefined, conditions, generation, now);
  return status;
}

/** Pods of one ModelDeployment, from a pod list. */
export function podsOf(pods: readonly KubeObject[], name: string): KubeObject[] {
  const sel = podSelector(name);
  return pods.filter(
    (p) => Object.entries(sel).every(([k, v]) => p.metadata?.labels?.[k] === v) && !p.metadata?.deletionTimestamp,
  );
}
