#!/usr/bin/env bash
# Opacus (PyPI `opacus`, Meta's DP-SGD for PyTorch) in its own venv: the peer of Liftoff's DP-SGD. Its RDP
# accountant checks runtime/src/train/dp-accountant.ts (test/clients/dp-opacus.test.ts) and its training on digits
# is the accuracy reference of npm run bench:dp (bench/dp.ts). Layered on the torch venv, cached by a hash of this
# file (hack/torch-layered-venv.sh); the venv's python is the one line on stdout; --check only says whether it is built.
set -euo pipefail

# scikit-learn ships the digits data set and pyarrow reads the DataSet's Parquet: bench:dp's; the pins of bench:train.
PINS=("opacus==1.6.0" "scipy==1.17.1" "opt-einsum==3.4.0" "scikit-learn==1.9.1" "pyarrow==26.0.1")

# shellcheck source=hack/torch-layered-venv.sh
. "$(dirname "${BASH_SOURCE[0]}")/torch-layered-venv.sh"
torch_layered_venv opacus "${BASH_SOURCE[0]}" \
  "import opacus, torch, scipy, sklearn, pyarrow; print('opacus', opacus.__version__, 'torch', torch.__version__)" \
  "${1:-}" -- "${PINS[@]}"
