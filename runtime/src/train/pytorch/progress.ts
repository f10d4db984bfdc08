// The script's progress events as the TrainingJob's progress (pure): the same Progress the TF.js trainer reports
// (epoch, percentage, loss, validation metrics, samples/s, ETA, the bounded history), so `kubectl get tj`, the
// TrainingSearch and `kubectl liftoff curves` read a pytorch run like any other. The history lives beside the
// checkpoints, so a restarted group goes on with the epochs the lost one reported.
import { boundHistory } from "../../contract/history.js";
import type { Progress } from "../trainer.js";
import type { ScriptEvent } from "./events.js";

type ProgressEvent = Extract<ScriptEvent, { type: "progress" }>;

export interface ProgressState {
  /** Epoch i+1's metrics (loss and val_*), as the TF.js trainer's history. */
  history: Record<string, number>[];
  /** Seconds of each epoch that reported them (for the ETA). */
  seconds: number[];
}

export const emptyProgress = (): ProgressState => ({ history: [], seconds: [] });

/** Adds an epoch (a resumed group may report an epoch again: the newest report wins, later epochs are dropped). */
export function addEpoch(state: ProgressState, ev: ProgressEvent): ProgressState {
  const history = state.history.slice(0, ev.epoch - 1);
  while (history.length < ev.epoch - 1) history.push({});
  history.push(ev.metrics);
  const seconds = ev.seconds !== undefined ? [...state.seconds.slice(-19), ev.seconds] : state.seconds;
  return { history, seconds };
}

export function progressOf(state: ProgressState, ev: ProgressEvent, plannedEpochs: number | undefined): Progress {
  const epochs = ev.epochs ?? plannedEpochs ?? ev.epoch;
  const { loss, ...metrics } = ev.metrics;
  const mean = state.seconds.length > 0 ? state.seconds.reduce((a, b) => a + b, 0) / state.seconds.length : undefined;
  const left = Math.max(0, epochs - ev.epoch);
  return {
    epoch: ev.epoch,
    epochs,
    percentage: Math.min(100, Math.floor((100 * ev.epoch) / Math.max(1, epochs))),
    ...(loss !== undefined ? { loss } : {}),
    metrics,
    ...(ev.samples !== undefined && ev.seconds !== undefined ? { samplesPerSecond: ev.samples / ev.seconds } : {}),
    ...(mean !== undefined && left > 0 ? { estimatedRemainingSeconds: Math.round(mean * left) } : {}),
    history: boundHistory(state.history),
  };
}
