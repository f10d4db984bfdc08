// The operator's Prometheus metrics (one registry; names follow Prometheus conventions with a liftoff_ prefix).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createOperatorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    reconcileTotal: new Counter({
      name: "liftoff_reconcile_total",
      help: "Reconciles by kind and result (success, error, requeue).",
      labelNames: ["kind", "result"] as const,
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: "liftoff_reconcile_errors_total",
      help: "Failed reconciles by kind and error reason.",
      labelNames: ["kind", "reason"] as const,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: "liftoff_reconcile_duration_seconds",
      help: "Time spent in one reconcile.",
      labelNames: ["kind", "result"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "liftoff_workqueue_depth",
      help: "Keys waiting in the work queue.",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    queueAdds: new Counter({
      name: "liftoff_workqueue_adds_total",
      help: "Keys added to the work queue.",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    queueLatency: new Histogram({
      name: "liftoff_workqueue_queue_duration_seconds",
      help: "Time a key waits in the queue before a worker takes it.",
      labelNames: ["kind"] as const,
      buckets: [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
      registers: [registry],
    }),
    informerRestarts: new Counter({
      name: "liftoff_informer_restarts_total",
      help: "Watch restarts by resource and reason (expired, error, stale, timeout).",
      labelNames: ["resource", "reason"] as const,
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: "liftoff_kube_api_requests_total",
      help: "Kubernetes API requests by verb, resource and HTTP code (0: transport error).",
      labelNames: ["verb", "resource", "code"] as const,
      registers: [registry],
    }),
    apiDuration: new Histogram({
      name: "liftoff_kube_api_request_duration_seconds",
      help: "Kubernetes API request latency by verb.",
      labelNames: ["verb"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    reports: new Counter({
      name: "liftoff_reports_total",
      help: "Reports run pods posted and monitoring snapshots serving pods pushed, by owning kind and HTTP answer code.",
      labelNames: ["kind", "code"] as const,
      registers: [registry],
    }),
    loopStage: new Gauge({
      name: "liftoff_modeldeployment_loop_stage",
      help: "1 for the closed loop's current stage of each ModelDeployment with spec.retrain, 0 for the others.",
      labelNames: ["namespace", "name", "stage"] as const,
      registers: [registry],
    }),
    loopTotal: new Counter({
      name: "liftoff_modeldeployment_loop_total",
      help: "Closed loops ended, by decision: promote, rollback or failed.",
      labelNames: ["namespace", "name", "decision"] as const,
      registers: [registry],
    }),
    leader: new Gauge({
      name: "liftoff_leader_is_leader",
      help: "1 while this replica holds the leader lease.",
      registers: [registry],
    }),
    trackAccuracy: new Gauge({
      name: "liftoff_modeldeployment_track_accuracy",
      help: "Live accuracy from feedback over the monitoring window, per ModelDeployment and track (stable, canary).",
      labelNames: ["namespace", "name", "track"] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
