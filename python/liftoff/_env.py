"""The environment contract between the Liftoff runtime's pytorch wrapper and this package (docs/pytorch.md).

The names live here once, so the package and its tests cannot drift from the table the wrapper is written against.
"""

from __future__ import annotations

import os

DATA_DIR = "LIFTOFF_TORCH_DATA_DIR"
CHECKPOINT_DIR = "LIFTOFF_TORCH_CHECKPOINT_DIR"
EXPORT_DIR = "LIFTOFF_TORCH_EXPORT_DIR"
EVENTS = "LIFTOFF_TORCH_EVENTS"
HYPERPARAMETERS = "LIFTOFF_TORCH_HYPERPARAMETERS"

# Outside Liftoff (no env): the same script runs by hand and keeps its files beside it.
DEFAULT_CHECKPOINT_DIR = "checkpoints"
DEFAULT_EXPORT_DIR = "."


def get(name: str) -> str | None:
    """The variable's value, or None when unset or empty (an empty value means "not in Liftoff", not "the cwd")."""
    value = os.environ.get(name, "")
    return value or None


def folder(name: str, default: str) -> str:
    """The folder a variable names, else the by-hand default."""
    return get(name) or default
