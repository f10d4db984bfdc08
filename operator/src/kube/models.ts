// The typed Kubernetes objects the operator reads and writes: client-node's model types as they travel as JSON
// (type imports only, so nothing of client-node runs), plus the few fields Liftoff sets on kinds client-node lacks.
import type {
  CoreV1Event,
  V1APIService,
  V1CustomResourceDefinition,
  V1Deployment,
  V1EndpointSlice,
  V1Endpoints,
  V1Job,
  V1LabelSelector,
  V1Lease,
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1Service,
  V1ServiceAccount,
  V1TokenReview,
  V2HorizontalPodAutoscaler,
  V2HorizontalPodAutoscalerBehavior,
} from "@kubernetes/client-node";
import type { ObjectMeta, Wire } from "./types.js";

export type Deployment = Wire<V1Deployment>;
export type Job = Wire<V1Job>;
export type PersistentVolumeClaim = Wire<V1PersistentVolumeClaim>;
export type Service = Wire<V1Service>;
export type ServiceAccount = Wire<V1ServiceAccount>;
export type Pod = Wire<V1Pod>;
export type ReplicaSet = Wire<V1ReplicaSet>;
export type Node = Wire<V1Node>;
export type Namespace = Wire<V1Namespace>;
export type Event = Wire<CoreV1Event>;
export type PodDisruptionBudget = Wire<V1PodDisruptionBudget>;
export type HorizontalPodAutoscaler = Wire<V2HorizontalPodAutoscaler>;
export type NetworkPolicy = Wire<V1NetworkPolicy>;
export type Lease = Wire<V1Lease>;
export type TokenReview = Wire<V1TokenReview>;
export type CustomResourceDefinition = Wire<V1CustomResourceDefinition>;
export type Endpoints = Wire<V1Endpoints>;
export type EndpointSlice = Wire<V1EndpointSlice>;
export type APIService = Wire<V1APIService>;

/** monitoring.coreos.com/v1 ServiceMonitor: the fields Liftoff sets (prometheus-operator's API). */
export interface ServiceMonitor {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    selector: Wire<V1LabelSelector>;
    namespaceSelector?: { matchNames?: string[]; any?: boolean };
    endpoints: Array<{
      port?: string;
      targetPort?: number | string;
      path?: string;
      interval?: string;
      scheme?: string;
    }>;
  };
}

/** monitoring.coreos.com/v1 PrometheusRule: the fields Liftoff sets (prometheus-operator's API). */
export interface PrometheusRule {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    groups: Array<{
      name: string;
      rules: Array<{
        alert?: string;
        record?: string;
        expr: string;
        for?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      }>;
    }>;
  };
}

/** gateway.networking.k8s.io/v1 HTTPRoute: the fields Liftoff sets (Gateway API). */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    parentRefs?: Array<{ group?: string; kind?: string; name: string; namespace?: string; sectionName?: string }>;
    hostnames?: string[];
    rules?: Array<{
      backendRefs?: Array<{
        group?: string;
        kind?: string;
        name: string;
        namespace?: string;
        port?: number;
        weight?: number;
      }>;
    }>;
  };
  status?: { parents?: Array<{ parentRef: { name: string }; conditions?: Array<{ type: string; status: string }> }> };
}

/** keda.sh/v1alpha1 ScaledObject: the fields Liftoff sets and reads (KEDA v2's API). */
export interface ScaledObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: {
      horizontalPodAutoscalerConfig?: { name?: string; behavior?: Wire<V2HorizontalPodAutoscalerBehavior> };
    };
    triggers: Array<{
      type: string;
      name?: string;
      metricType?: "AverageValue" | "Value" | "Utilization";
      metadata: Record<string, string>;
    }>;
  };
  status?: {
    hpaName?: string;
    lastActiveTime?: string;
    originalReplicaCount?: number;
    externalMetricNames?: string[];
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}
