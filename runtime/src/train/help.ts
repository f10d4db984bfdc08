/** `train --help`, in a module of its own so that help loads neither TensorFlow.js nor DuckDB. */
export const TRAIN_HELP = `usage: liftoff-runtime train --spec <TrainingJob manifest> --data <DataSet output dir> --out <dir> [flags]

  --spec <file>              TrainingJob manifest (YAML or JSON); env LIFTOFF_TRAIN_SPEC may hold it as JSON instead
  --data <dir>               a DataSet version folder (<out>/<digest>/), or prepare's --out folder (its newest version)
  --data-digest <sha256:…>   refuse the data unless its manifest has this digest (the operator pins it at start)
  --out <dir>                where the artifact is published, as <out>/<digest>/
  --plain-dir <dir>          memory-backed folder for an encrypted DataSet's decrypted copy (default under /dev/shm)
  --checkpoint-dir <dir>     checkpoints (default <out>/.checkpoints/<job name>)
  --checkpoint-seconds <n>   also checkpoint inside an epoch this often (default 300)
  --keep-checkpoints <n>     newest checkpoints kept (default 3)
  --backend <name>           tensorflow (default), tensorflow-gpu, auto (GPU when the image has it), wasm or cpu
  --cache-mib <n>            splits up to this size are held in memory, larger ones streamed (default 512)
  --script <file>            a pytorch TrainingJob (spec.pytorch): the script to run, instead of its ConfigMap or path

A manifest with spec.pytorch runs the script under torchrun (python -m torch.distributed.run; LIFTOFF_PYTHON names
the Python with torch, default python3) as one worker of spec.pytorch.workers, and publishes its ONNX export.

An encrypted DataSet's data key is unwrapped with Vault transit: LIFTOFF_VAULT_ADDR, _CACERT, _ROLE, _AUTH_MOUNT,
_TOKEN_FILE (the operator sets them in the pod).`;
