// The operator's own HorizontalPodAutoscaler (pure): metric cpu on metrics.k8s.io, or metric concurrency through a
// custom metrics adapter (prometheus-adapter serving the runtime's in-flight gauge) where KEDA is not installed.
import type { ModelDeploymentSpec } from "../../api/v1alpha1/index.js";
import { child, type DesiredObject } from "../../children/child.js";
import type { HorizontalPodAutoscaler } from "../../kube/models.js";
import { RESOURCES } from "../../kube/resources.js";
import type { ObjectMeta } from "../../kube/types.js";
import { stableStringify } from "../../util/stable-json.js";
import { childNames } from "../names.js";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;
type HpaSpec = NonNullable<HorizontalPodAutoscaler["spec"]>;
type Behavior = NonNullable<HpaSpec["behavior"]>;
type Rules = NonNullable<Behavior["scaleUp"]>;

function rules(r: NonNullable<NonNullable<Autoscaling["behavior"]>["scaleUp"]>): Rules {
  return {
    ...(r.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: r.stabilizationWindowSeconds } : {}),
    ...(r.selectPolicy !== undefined ? { selectPolicy: r.selectPolicy } : {}),
    ...(r.policies
      ? { policies: r.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })) }
      : {}),
  };
}

/**
 * On the HPA and the ScaledObject: the behavior they were given, so that removing a rule (or all of spec.autoscaling.
 * behavior) changes something the "already applied?" check sees; server-side apply then drops what is no longer set.
 */
export const BEHAVIOR_ANNOTATION = "liftoff.dev/autoscaling-behavior";

/** The annotation's value: the behavior as stable JSON, or "default" (Kubernetes' own). */
export function behaviorAnnotation(a: Autoscaling): Record<string, string> {
  const b = hpaBehavior(a);
  return { [BEHAVIOR_ANNOTATION]: b ? stableStringify(b) : "default" };
}

/** spec.autoscaling.behavior in the HPA's shape (the same shape: passed through, field by field); undefined if unset. */
export function hpaBehavior(a: Autoscaling): Behavior | undefined {
  const b = a.behavior;
  if (!b || (!b.scaleUp && !b.scaleDown)) return undefined;
  return {
    ...(b.scaleUp ? { scaleUp: rules(b.scaleUp) } : {}),
    ...(b.scaleDown ? { scaleDown: rules(b.scaleDown) } : {}),
  };
}

export function withAnnotations(meta: ObjectMeta, annotations: Record<string, string>): ObjectMeta {
  return { ...meta, annotations: { ...(meta.annotations ?? {}), ...annotations } };
}

/** The in-flight gauge a custom metrics adapter serves per pod (runtime/src/serve/metrics.ts). */
const IN_FLIGHT_METRIC = "liftoff_inference_requests_in_flight";

export function horizontalPodAutoscaler(
  name: string,
  a: Autoscaling,
  meta: ObjectMeta,
): DesiredObject<HorizontalPodAutoscaler> {
  const metric: NonNullable<HpaSpec["metrics"]>[number] =
    a.metric === "cpu"
      ? { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.target } } }
      : {
          type: "Pods",
          pods: {
            metric: { name: IN_FLIGHT_METRIC },
            target: { type: "AverageValue", averageValue: String(a.target) },
          },
        };
  const behavior = hpaBehavior(a);
  return child(RESOURCES.HorizontalPodAutoscaler, withAnnotations(meta, behaviorAnnotation(a)), {
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: childNames(name).deployment("stable") },
      // minReplicas 0 never comes here (it needs KEDA: engine.ts); an HPA's own floor is 1.
      minReplicas: Math.max(1, a.minReplicas),
      maxReplicas: a.maxReplicas,
      metrics: [metric],
      ...(behavior ? { behavior } : {}),
    },
  });
}
