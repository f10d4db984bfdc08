// ErasureRequest in the registry (operator/src/kinds.ts): its resource, its setup, and what its controller may call.
import type { KindRegistration } from "../kinds.js";
import { RESOURCES } from "../kube/resources.js";
import { owns, reads } from "../rbac.js";
import { setupErasureRequest } from "./setup.js";

export const erasureRequest: KindRegistration = {
  resource: RESOURCES.ErasureRequest,
  setup: setupErasureRequest,
  permissions: [
    // The erase Job (the DataSet's pod); the retrains (spec.privacy.onErasure: Retrain).
    owns(RESOURCES.Job),
    { resource: RESOURCES.TrainingJob, verbs: ["create"] },
    // The DataSet erased from, and the lineage: TrainingJobs trained on its versions, ModelDeployments serving them.
    reads(RESOURCES.DataSet),
    reads(RESOURCES.TrainingJob),
    reads(RESOURCES.ModelDeployment),
  ],
};
