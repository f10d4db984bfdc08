// TrainingSearch's SetupWithManager: its cache, the TrainingJobs it owns (its trials: any change to one — a new
// epoch in its history, its end — requeues the search), and the controller.
import type { Controller } from "../controller/controller.js";
import { RESOURCES } from "../kube/resources.js";
import type { Manager } from "../manager.js";
import { TrainingSearchReconciler } from "./reconciler.js";

export function setupTrainingSearch(mgr: Manager): Controller {
  const searches = mgr.cache(RESOURCES.TrainingSearch);
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const reconciler = new TrainingSearchReconciler({ client: mgr.client, searches, trainingJobs, events: mgr.events });
  return mgr.controller(reconciler, searches).owns([trainingJobs]);
}
