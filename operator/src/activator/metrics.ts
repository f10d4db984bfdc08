// The activator's Prometheus metrics, on the operator's registry (served at the operator's /metrics).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createActivatorMetrics(registry: Registry) {
  return {
    held: new Gauge({
      name: "liftoff_activator_requests_held",
      help: "Requests the activator holds while a scaled-to-zero ModelDeployment activates.",
      registers: [registry],
    }),
    requests: new Counter({
      name: "liftoff_activator_requests_total",
      help: "Requests through the activator by HTTP status code (499: the client went away).",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    activation: new Histogram({
      name: "liftoff_activator_activation_seconds",
      help: "From a request finding no ready pod to a ready endpoint, for the request that started the activation.",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
  };
}
