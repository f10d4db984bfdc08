// DataSet in the registry (operator/src/kinds.ts): its resource, its setup, and what its controller may call.

import type { KindRegistration } from "../kinds.js";
import { RESOURCES } from "../kube/resources.js";
import { owns, reads } from "../rbac.js";
import { setupDataSet } from "./setup.js";

export const dataSet: KindRegistration = {
  resource: RESOURCES.DataSet,
  setup: setupDataSet,
  permissions: [
    // Adds and removes the finalizer that cleans its versions up (a merge patch of metadata).
    { resource: RESOURCES.DataSet, verbs: ["patch"] },
    owns(RESOURCES.Job),
    owns(RESOURCES.ServiceAccount),
    // Why a prepare pod is Pending; and who still uses a DataSet being deleted.
    reads(RESOURCES.Pod),
    reads(RESOURCES.TrainingJob),
    reads(RESOURCES.ModelDeployment),
    // The ErasureRequests that rewrote its current version.
    reads(RESOURCES.ErasureRequest),
  ],
};
