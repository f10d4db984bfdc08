#!/usr/bin/env bash
# The Python of a pytorch TrainingJob's workers outside an image (the devcluster's stand-in for
# ghcr.io/liftoff-dev/liftoff-pytorch, python/tests via test/unit/python-liftoff.test.ts, examples/pytorch): torch,
# onnx and onnxruntime come from the torch venv it is layered on (hack/torch-layered-venv.sh), so only pyarrow, which
# the `liftoff` package (python/liftoff) reads the DataSet's Parquet with, is installed here. The package itself is not
# installed: callers put python/ on PYTHONPATH, so an edit to it needs no rebuild. torchrun is
# `<python> -m torch.distributed.run` (the torch venv's bin/ is not on this venv's PATH). The venv's python is the
# one line on stdout; --check only says whether it is built.
set -euo pipefail

# pyarrow: the pin of bench:train, bench:dp and the Opacus and Optuna venvs.
PINS=("pyarrow==26.0.1")

# shellcheck source=hack/torch-layered-venv.sh
. "$(dirname "${BASH_SOURCE[0]}")/torch-layered-venv.sh"
torch_layered_venv pytorch "${BASH_SOURCE[0]}" \
  "import torch, pyarrow, onnx, onnxscript, onnxruntime; print('pyarrow', pyarrow.__version__, 'torch', torch.__version__)" \
  "${1:-}" -- "${PINS[@]}"
