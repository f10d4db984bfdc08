// TrainingSearch in the registry (operator/src/kinds.ts): its resource, its setup, and what its controller may call.
import type { KindRegistration } from "../kinds.js";
import { RESOURCES } from "../kube/resources.js";
import { setupTrainingSearch } from "./setup.js";

export const trainingSearch: KindRegistration = {
  resource: RESOURCES.TrainingSearch,
  setup: setupTrainingSearch,
  permissions: [
    // The trials: created once each, then only suspended (early stopping); their garbage collection follows the
    // search's deletion through the owner reference.
    { resource: RESOURCES.TrainingJob, verbs: ["get", "list", "watch", "create", "patch"] },
  ],
};
