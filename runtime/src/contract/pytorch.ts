// The seam between the runtime's torchrun wrapper (runtime/src/train/pytorch/) and the liftoff Python package
// (python/liftoff/_env.py reads the same names; docs/pytorch.md): what the wrapper sets in the script's environment.
// Not pod env — the operator never sets them; the runtime does, for the processes torchrun starts.
export const SCRIPT_ENV = {
  /** The plaintext DataSet version folder: train/ validation/ test/ Parquet, preprocessing.json, stats.json. */
  dataDir: "LIFTOFF_TORCH_DATA_DIR",
  /** Where checkpoints go: the same folder for every worker and every restart of the group. */
  checkpointDir: "LIFTOFF_TORCH_CHECKPOINT_DIR",
  /** Where export_onnx writes model.onnx. */
  exportDir: "LIFTOFF_TORCH_EXPORT_DIR",
  /** The JSON-lines file rank 0 appends its events to (progress, checkpoint, export). */
  events: "LIFTOFF_TORCH_EVENTS",
  /** spec.hyperparameters as JSON. */
  hyperparameters: "LIFTOFF_TORCH_HYPERPARAMETERS",
} as const;
