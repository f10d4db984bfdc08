// The vocabulary the search algorithms share with the reconciler: a parameter as the TrainingSearch spec states it,
// the goal, and what is known of one trial. Plain data, so the algorithms stay pure functions of their inputs.

export type ParameterValue = number | string;

/** A numeric range or list; `step` makes a range discrete (and is what a grid needs of a float range). */
export interface NumericRange {
  min?: number;
  max?: number;
  log?: boolean;
  step?: number;
  values?: number[];
}

export type ParameterSpec = {
  name: string;
  path: string;
} & ({ float: NumericRange } | { int: NumericRange } | { categorical: { values: string[] } });

export type Goal = "minimize" | "maximize";

/** What the search knows of one trial (from its TrainingJob): its parameters and its objective per epoch. */
export interface TrialObservation {
  index: number;
  parameters: Record<string, ParameterValue>;
  state: "Running" | "Succeeded" | "StoppedEarly" | "Failed";
  /** Objective value by epoch (1-based), from status.history; may skip epochs (stride) and may be empty. */
  curve: { epoch: number; value: number }[];
  /** The final objective (the last epoch's value), for Succeeded trials. */
  objective?: number;
}
