// ModelDeployment in the registry (operator/src/kinds.ts): its resource, its setup, and what its controller may call.
import type { Capabilities } from "../capabilities.js";
import type { KindRegistration } from "../kinds.js";
import { RESOURCES } from "../kube/resources.js";
import { owns, reads } from "../rbac.js";
import { ownedKinds } from "./reconciler.js";
import { setupModelDeployment } from "./setup.js";

/** Every optional API present: the role grants what the operator needs on any cluster. */
const EVERY_CAPABILITY: Required<Capabilities> = {
  serviceMonitor: true,
  gatewayAPI: true,
  prometheusRule: true,
  keda: true,
  metricsAPIs: { resource: true, custom: true, external: true },
};

export const modelDeployment: KindRegistration = {
  resource: RESOURCES.ModelDeployment,
  setup: setupModelDeployment,
  permissions: [
    ...ownedKinds(EVERY_CAPABILITY).map(owns),
    // Serving pods (readiness, failures, monitoring scrapes), nodes (GPUs), and where models and baselines come from.
    reads(RESOURCES.Pod),
    reads(RESOURCES.Node),
    // The metrics APIs autoscaling needs (metrics.k8s.io, custom and external metrics), followed as they come and go.
    reads(RESOURCES.APIService),
    // Scale to zero: the EndpointSlice controller's slices of a Service that just lost its selector (autoscaling/slices.ts).
    { resource: RESOURCES.EndpointSlice, verbs: ["list", "delete"] },
    reads(RESOURCES.TrainingJob),
    reads(RESOURCES.DataSet),
    // model.trainingSearchRef: a search's best trial is served (search-source.ts).
    reads(RESOURCES.TrainingSearch),
    // The closed loop (spec.retrain) creates each loop's DataSet and TrainingJob and deletes older loops' ones.
    owns(RESOURCES.TrainingJob),
    owns(RESOURCES.DataSet),
  ],
};
