"""Liftoff's helpers for a team's PyTorch script inside a pytorch TrainingJob (docs/pytorch.md).

The runtime's wrapper runs the script under torchrun with the LIFTOFF_TORCH_* variables set; this package reads
them, so the script itself stays plain PyTorch and also runs by hand (`python train.py --data <version folder>`).
torch and pyarrow are imported when a function needs them, not on `import liftoff`.
"""

from __future__ import annotations

from .checkpoints import checkpoint, checkpoint_dir, restore
from .data import Dataset, Split, dataset
from .distributed import barrier, init_distributed, is_main, rank, world_size
from .events import report
from .export import export_dir, export_onnx
from .hyperparameters import hyperparameters

__all__ = [
    "Dataset",
    "Split",
    "barrier",
    "checkpoint",
    "checkpoint_dir",
    "dataset",
    "export_dir",
    "export_onnx",
    "hyperparameters",
    "init_distributed",
    "is_main",
    "rank",
    "report",
    "restore",
    "world_size",
]
