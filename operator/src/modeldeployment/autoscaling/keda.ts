// KEDA's ScaledObject for one track (pure): one prometheus trigger on the track's concurrency by Little's law.
import type { ModelDeploymentSpec } from "../../api/v1alpha1/index.js";
import { child, type DesiredObject } from "../../children/child.js";
import type { ScaledObject } from "../../kube/models.js";
import { RESOURCES } from "../../kube/resources.js";
import type { ObjectMeta } from "../../kube/types.js";
import { childNames, type Track } from "../names.js";
import { behaviorAnnotation, hpaBehavior, withAnnotations } from "./hpa.js";
import { scaleToZeroSettings } from "./settings.js";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;

/** What the operator's flags say about KEDA (--prometheus-url, --keda-polling-seconds). */
export interface KedaSettings {
  prometheusUrl: string;
  pollingSeconds: number;
}

/**
 * Requests in flight over the window, all pods of the track together, by Little's law: the seconds of request time
 * the pods spent per second (the runtime's duration histogram's sum covers queue and compute). `or vector(0)`: no
 * series at all (no pods, or none scraped yet) reads 0, not an error. Pod names are <deployment>-<hash>-<suffix>, so
 * another ModelDeployment named <name>-predictor (pods <name>-predictor-predictor-…) does not match.
 */
export function concurrencyQuery(namespace: string, deployment: string, windowSeconds: number): string {
  return `sum(rate(liftoff_inference_request_duration_seconds_sum{namespace="${namespace}",pod=~"${deployment}-[a-z0-9]+-[a-z0-9]+"}[${windowSeconds}s])) or vector(0)`;
}

/**
 * The ScaledObject of a track. The stable track keeps minReplicas; a canary under scale to zero scales 0..max on its
 * own traffic. KEDA owns the 0↔1 step (activationThreshold 0: any request in the window is activity) after
 * cooldownPeriod = idleSeconds; its HPA (keda-hpa-<name>) scales 1..max on AverageValue = concurrency / replicas.
 */
export function scaledObject(
  namespace: string,
  name: string,
  a: Autoscaling,
  track: Track,
  keda: KedaSettings,
  meta: ObjectMeta,
): DesiredObject<ScaledObject> {
  const names = childNames(name);
  const zero = a.minReplicas === 0;
  const behavior = hpaBehavior(a);
  return child(RESOURCES.ScaledObject, withAnnotations(meta, behaviorAnnotation(a)), {
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.deployment(track) },
      pollingInterval: keda.pollingSeconds,
      ...(zero ? { cooldownPeriod: scaleToZeroSettings(a).idleSeconds } : {}),
      minReplicaCount: track === "stable" ? a.minReplicas : 0,
      maxReplicaCount: a.maxReplicas,
      ...(behavior ? { advanced: { horizontalPodAutoscalerConfig: { behavior } } } : {}),
      triggers: [
        {
          type: "prometheus",
          name: "concurrency",
          metricType: "AverageValue",
          metadata: {
            serverAddress: keda.prometheusUrl,
            query: concurrencyQuery(namespace, names.deployment(track), a.windowSeconds ?? 30),
            threshold: String(a.target),
            activationThreshold: "0",
          },
        },
      ],
    },
  });
}
