// status.autoscaling from what the autoscaler of the stable track shows (pure): the HPA that drives it (KEDA's
// keda-hpa-<name>-predictor, or ours), the ScaledObject, and the Deployment until the HPA has a status.
import type { ModelDeployment, ModelDeploymentStatus } from "../../api/v1alpha1/index.js";
import { type Condition, findCondition, setCondition } from "../../controller/conditions.js";
import type { Deployment, HorizontalPodAutoscaler, ScaledObject } from "../../kube/models.js";
import { parseQuantity } from "../../kube/quantity.js";
import { ConditionType, Reason } from "../../reasons.js";
import type { Engine } from "./engine.js";

type AutoscalingStatus = NonNullable<ModelDeploymentStatus["autoscaling"]>;

export interface AutoscalingObservation {
  engine: Engine;
  /** The HPA that scales the stable Deployment (KEDA's or ours); undefined until it exists. */
  hpa?: HorizontalPodAutoscaler | undefined;
  /** KEDA's ScaledObject of the stable track (engine keda). */
  scaledObject?: ScaledObject | undefined;
  /** The stable Deployment: its replicas before the HPA reports, and at zero. */
  deployment?: Deployment | undefined;
}

/** A number as the column shows it: at most two decimals, no trailing zeros (7.5, 10, 0.33). */
function show(n: number): string {
  return String(Math.round(n * 100) / 100);
}

type MetricStatus = NonNullable<NonNullable<HorizontalPodAutoscaler["status"]>["currentMetrics"]>[number];

/** The value per pod the HPA last read: External/Pods averageValue (a quantity), or Resource averageUtilization. */
function metricValue(m: MetricStatus | undefined): string | undefined {
  if (!m) return undefined;
  const util = m.resource?.current?.averageUtilization;
  if (util !== undefined) return show(util);
  const current = m.external?.current ?? m.pods?.current ?? m.object?.current;
  const q = parseQuantity(current?.averageValue ?? current?.value);
  return q === undefined ? undefined : show(q);
}

/**
 * Why the HPA cannot scale, when it says so: ScalingActive False (it cannot read its metric, e.g.
 * FailedGetExternalMetric) or AbleToScale False. Not at zero: there KEDA disables the HPA on purpose (ScalingDisabled).
 */
function hpaProblem(hpa: HorizontalPodAutoscaler | undefined): string | undefined {
  const conds = hpa?.status?.conditions ?? [];
  const bad = conds.find(
    (c) =>
      (c.type === "ScalingActive" || c.type === "AbleToScale") &&
      c.status === "False" &&
      c.reason !== "ScalingDisabled",
  );
  if (!bad) return undefined;
  return `HorizontalPodAutoscaler ${hpa?.metadata?.name} cannot scale: ${bad.reason ?? bad.type}: ${bad.message ?? ""}`.trim();
}

function autoscalingStatus(
  mdep: ModelDeployment,
  obs: AutoscalingObservation,
  now: () => string,
): AutoscalingStatus | undefined {
  const a = mdep.spec.autoscaling;
  if (!a) return undefined;
  const hs = obs.hpa?.status;
  const dep = obs.deployment;
  // At zero KEDA's HPA keeps its last counts: the Deployment says 0.
  const atZero = dep?.spec?.replicas === 0 && (dep.status?.replicas ?? 0) === 0;
  const currentReplicas = atZero ? 0 : (hs?.currentReplicas ?? dep?.status?.replicas ?? 0);
  const desiredReplicas = atZero ? 0 : (hs?.desiredReplicas ?? dep?.spec?.replicas ?? 0);
  const current = atZero ? undefined : metricValue(hs?.currentMetrics?.[0]);
  const unit = a.metric === "cpu" ? "%" : "";
  const summary = atZero
    ? "0/0 idle"
    : `${currentReplicas}/${desiredReplicas} ${a.metric === "cpu" ? "cpu" : "conc"} ${current ?? "?"}${unit}/${a.target}${unit}`;
  const active = obs.scaledObject?.status?.conditions?.find((c) => c.type === "Active")?.status === "True";
  return {
    engine: obs.engine,
    currentReplicas,
    desiredReplicas,
    metric: a.metric,
    ...(current !== undefined ? { current } : {}),
    target: a.target,
    summary,
    ...(hs?.lastScaleTime ? { lastScaleTime: hs.lastScaleTime } : {}),
    ...(active ? { activeSince: mdep.status?.autoscaling?.activeSince ?? now() } : {}),
  };
}

/**
 * status.autoscaling, and an HPA that cannot scale as Degraded (the pods serve, but will not follow the load) when
 * nothing else degrades it; the message names the HPA's own reason.
 */
export function withAutoscaling(
  status: ModelDeploymentStatus,
  mdep: ModelDeployment,
  obs: AutoscalingObservation | undefined,
  now: () => string,
): ModelDeploymentStatus {
  if (!obs || !mdep.spec.autoscaling) return status;
  const out: ModelDeploymentStatus = { ...status };
  const s = autoscalingStatus(mdep, obs, now);
  if (s) out.autoscaling = s;
  const problem = hpaProblem(obs.hpa);
  const degraded = findCondition(out.conditions, ConditionType.Degraded);
  if (problem && degraded?.status === "False") {
    out.conditions = setCondition(
      out.conditions as Condition[] | undefined,
      {
        type: ConditionType.Degraded,
        status: "True",
        reason: Reason.AutoscalingMetricsUnavailable,
        message: problem,
      },
      mdep.metadata?.generation,
      now,
    );
  }
  return out;
}
