// Which autoscaler a spec.autoscaling gets on this cluster, or why it can get none (pure). The choice follows what
// users run: KEDA where it is installed (KServe's raw mode and Seldon document it; it brings scale to zero), else a
// plain HorizontalPodAutoscaler on the metrics API the metric needs (docs/modeldeployment.md, "Autoscaling").
import type { ModelDeploymentSpec } from "../../api/v1alpha1/index.js";
import type { Capabilities } from "../../capabilities.js";
import { Reason, type ReasonName } from "../../reasons.js";

export type Engine = "keda" | "hpa";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;

/** What the operator knows of the cluster and of itself when it picks. */
export interface EngineInputs {
  capabilities: Capabilities;
  /** Whether the operator's activator runs, and how many addresses it advertises (minReplicas 0 needs both). */
  activator?: { addresses: number } | undefined;
}

export type EngineChoice = { engine: Engine } | { reason: ReasonName; message: string };

const SEE = "see docs/autoscaling.md";

/** True when the spec asks to scale to zero (the activator fronts the public Service). */
export function scalesToZero(a: Autoscaling | undefined): boolean {
  return a !== undefined && a.minReplicas === 0;
}

/**
 * KEDA for metric concurrency when its CRD is installed (its metrics server answers the HPA), else our HPA on the
 * Pods metric through a custom metrics adapter; metric cpu: our HPA on metrics.k8s.io. Unknown metrics APIs (not
 * detected) count as served, so an operator that could not look behaves as before.
 */
export function chooseEngine(a: Autoscaling, { capabilities: caps, activator }: EngineInputs): EngineChoice {
  const apis = caps.metricsAPIs;
  if (scalesToZero(a)) {
    if (!caps.keda) {
      return {
        reason: Reason.AutoscalingMetricsUnavailable,
        message: `autoscaling.minReplicas 0 needs KEDA (ScaledObject CRD keda.sh/v1alpha1) to scale to and from zero; it is not installed — install KEDA or set minReplicas to 1 or more (${SEE})`,
      };
    }
    if (!activator) {
      return {
        reason: Reason.ActivatorUnavailable,
        message: `autoscaling.minReplicas 0 needs the operator's activator to hold requests while no pod runs, but it is off: start the operator with --activator-bind-address (default 0.0.0.0:8012), or set minReplicas to 1 or more (${SEE})`,
      };
    }
    if (activator.addresses === 0) {
      return {
        reason: Reason.ActivatorUnavailable,
        message: `autoscaling.minReplicas 0 needs the operator's activator address for the Service's Endpoints, but it advertises none: set --activator-advertise ip:port (in a pod, POD_IP is used) (${SEE})`,
      };
    }
    return { engine: "keda" };
  }
  if (a.metric === "cpu") {
    if (apis && !apis.resource) {
      return {
        reason: Reason.AutoscalingMetricsUnavailable,
        message: `metric cpu needs the resource metrics API (APIService v1beta1.metrics.k8s.io, served by metrics-server), which is not available — install metrics-server (${SEE})`,
      };
    }
    return { engine: "hpa" };
  }
  if (caps.keda) return { engine: "keda" };
  if (apis && !apis.custom) {
    return {
      reason: Reason.AutoscalingMetricsUnavailable,
      message: `metric concurrency needs KEDA (ScaledObject CRD keda.sh/v1alpha1) or a custom metrics adapter serving custom.metrics.k8s.io; neither is installed — ${SEE}`,
    };
  }
  return { engine: "hpa" };
}
