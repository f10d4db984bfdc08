// The demo's steps in order, per sample (--sample). Steps for features not yet on main are added here as they land.
import type { Sample } from "./cli.js";
import { apiKeyStep, refusedStep } from "./steps/auth.js";
import { clusterStep } from "./steps/cluster.js";
import { dataSetStep, rawDataStep } from "./steps/data.js";
import { driftStep } from "./steps/drift.js";
import { classifyStep, imageDeployStep, imageLookAroundStep, imageModelStep, imageResetStep } from "./steps/image.js";
import { inspectStep } from "./steps/inspect.js";
import { dataKeysStep } from "./steps/keys.js";
import {
  chatStep,
  llmDeployStep,
  llmKeyStep,
  llmLookAroundStep,
  llmModelStep,
  llmRefusedStep,
  llmResetStep,
} from "./steps/llm.js";
import { lookAroundStep } from "./steps/look-around.js";
import {
  conceptDriftStep,
  loopDeployStep,
  loopKeysStep,
  loopLookAroundStep,
  loopResetStep,
  loopStep,
} from "./steps/loop.js";
import { operatorStep } from "./steps/operator.js";
import { buildStep, setupStep } from "./steps/prepare.js";
import { resetStep } from "./steps/reset.js";
import { deployStep, predictStep } from "./steps/serve.js";
import { trainStep } from "./steps/train.js";
import type { Step } from "./steps.js";

export const DEMO_STEPS: Step[] = [
  setupStep,
  buildStep,
  clusterStep,
  operatorStep,
  resetStep,
  rawDataStep,
  dataKeysStep,
  dataSetStep,
  trainStep,
  apiKeyStep,
  deployStep,
  predictStep,
  refusedStep,
  driftStep,
  inspectStep,
  lookAroundStep,
];

/** --sample image: the pretrained image classifier on the same cluster and operator, then real photos classified. */
export const IMAGE_STEPS: Step[] = [
  setupStep,
  buildStep,
  clusterStep,
  operatorStep,
  imageResetStep,
  imageModelStep,
  imageDeployStep,
  classifyStep,
  imageLookAroundStep,
];

/** --sample llm: SmolLM2 on llama.cpp with its Vault key, a chat answer streamed through the openai client. */
export const LLM_STEPS: Step[] = [
  setupStep,
  buildStep,
  clusterStep,
  operatorStep,
  llmResetStep,
  llmModelStep,
  llmKeyStep,
  llmDeployStep,
  llmRefusedStep,
  chatStep,
  llmLookAroundStep,
];

/** --loop: the penguins model served with capture and retrain, then one full loop on concept drift (docs/loop.md). */
export const LOOP_STEPS: Step[] = [
  setupStep,
  buildStep,
  clusterStep,
  operatorStep,
  loopResetStep,
  rawDataStep,
  dataKeysStep,
  dataSetStep,
  trainStep,
  apiKeyStep,
  loopKeysStep,
  loopDeployStep,
  conceptDriftStep,
  loopStep,
  loopLookAroundStep,
];

export function stepsFor(sample: Sample, loop = false): Step[] {
  if (loop) return LOOP_STEPS;
  return sample === "image" ? IMAGE_STEPS : sample === "llm" ? LLM_STEPS : DEMO_STEPS;
}
