// The registry: every kind the operator reconciles, one line each (see docs/architecture.md, "Adding a kind").
// From it come the controllers (operator.ts runs each setup) and the operator's ClusterRole (`npm run gen` writes
// config/rbac/role.yaml); the CRDs and the resource table come from the same kinds' API definitions
// (api/v1alpha1/index.ts), and the type below makes the registry name every one of them.

import { ACTIVATOR_PERMISSIONS } from "./activator/activation.js";
import type { LiftoffKind } from "./api/v1alpha1/index.js";
import { CAPABILITY_PERMISSIONS } from "./capabilities.js";
import { EVENT_PERMISSIONS } from "./controller/events.js";
import { dataSet } from "./dataset/kind.js";
import { erasureRequest } from "./erasurerequest/kind.js";
import type { ResourceType } from "./kube/resources.js";
import type { KindSetup } from "./manager.js";
import { modelDeployment } from "./modeldeployment/kind.js";
import { type Permission, reconciles } from "./rbac.js";
import { REPORT_PERMISSIONS } from "./report/server.js";
import { trainingJob } from "./trainingjob/kind.js";
import { trainingSearch } from "./trainingsearch/kind.js";

/** What a kind declares once, in its folder's kind.ts. */
export interface KindRegistration {
  /** Its resource (RESOURCES, from its API definition): the controller reads it and writes its status. */
  resource: ResourceType;
  /** Its SetupWithManager: caches, controller, watches. */
  setup: KindSetup;
  /** Every other API call its controller makes, verb by verb. */
  permissions: readonly Permission[];
}

export const KINDS: Readonly<Record<LiftoffKind, KindRegistration>> = {
  DataSet: dataSet,
  TrainingJob: trainingJob,
  ModelDeployment: modelDeployment,
  ErasureRequest: erasureRequest,
  TrainingSearch: trainingSearch,
};

/**
 * What the operator itself calls, whatever the kinds: Events, the report endpoint, optional-API detection, the
 * activator of scale-to-zero deployments.
 */
const OPERATOR_PERMISSIONS: readonly Permission[] = [
  ...EVENT_PERMISSIONS,
  ...ACTIVATOR_PERMISSIONS,
  ...REPORT_PERMISSIONS,
  ...CAPABILITY_PERMISSIONS,
];

/** Everything the operator's ClusterRole grants. (Leader election's Lease is a namespaced Role, config/rbac/.) */
export function operatorPermissions(): Permission[] {
  return [
    ...Object.values(KINDS).flatMap((k) => [...reconciles(k.resource), ...k.permissions]),
    ...OPERATOR_PERMISSIONS,
  ];
}
