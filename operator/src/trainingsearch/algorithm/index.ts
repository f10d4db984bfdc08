// The search algorithms as the TrainingSearch reconciler uses them: pure functions, no I/O (docs/architecture.md).

export { gridSize } from "./grid.js";
export { spaceProblems } from "./problems.js";
export { shouldStop } from "./stop.js";
export { suggest } from "./suggest.js";
export type { Goal, ParameterSpec, ParameterValue, TrialObservation } from "./types.js";
