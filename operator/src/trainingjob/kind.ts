// TrainingJob in the registry (operator/src/kinds.ts): its resource, its setup, and what its controller may call.

import type { KindRegistration } from "../kinds.js";
import { RESOURCES } from "../kube/resources.js";
import { owns, reads } from "../rbac.js";
import { setupTrainingJob } from "./setup.js";

export const trainingJob: KindRegistration = {
  resource: RESOURCES.TrainingJob,
  setup: setupTrainingJob,
  permissions: [
    owns(RESOURCES.Job),
    owns(RESOURCES.ServiceAccount),
    // The train Job's pods (why a run fails); a pytorch run's worker pods, created and deleted one by one.
    owns(RESOURCES.Pod),
    // The gang check of a pytorch run: every node's allocatable (the pods' requests come from the list above).
    { resource: RESOURCES.Node, verbs: ["list"] },
    reads(RESOURCES.DataSet),
    // ErasureRequests whose record flags a finished model (ErasurePending).
    reads(RESOURCES.ErasureRequest),
  ],
};
