// Every kind the operator reconciles, each set up by its own folder's setup function (see docs/architecture.md,
// "Adding a kind"). A new kind is one line here.
import { setupDataSet } from "./dataset/setup.js";
import type { KindSetup } from "./manager.js";
import { setupModelDeployment } from "./modeldeployment/setup.js";
import { setupTrainingJob } from "./trainingjob/setup.js";

export const KINDS: Readonly<Record<string, KindSetup>> = {
  DataSet: setupDataSet,
  ModelDeployment: setupModelDeployment,
  TrainingJob: setupTrainingJob,
};
