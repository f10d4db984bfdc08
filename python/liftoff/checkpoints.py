"""Checkpoints in LIFTOFF_TORCH_CHECKPOINT_DIR (./checkpoints by hand): epoch-%06d.pt, the 3 newest kept.

A restarted group resumes from the newest file that loads. Each file is written to a temporary name in the same
folder and renamed, so a reader (restore, the wrapper's upload) sees a whole file or none; a file torn anyway (a
disk filling up, a copy cut short) is skipped with a warning and the one before it is used.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any

from . import _env
from .distributed import barrier, initialized, is_main, world_size
from .events import emit

KEEP = 3
NAME = re.compile(r"^epoch-(\d{6,})\.pt$")


def checkpoint_dir() -> str:
    """The folder checkpoints go to: the wrapper's, else ./checkpoints."""
    return _env.folder(_env.CHECKPOINT_DIR, _env.DEFAULT_CHECKPOINT_DIR)


def _name(epoch: int) -> str:
    return f"epoch-{epoch:06d}.pt"


def _existing(folder: str) -> list[tuple[int, str]]:
    """(epoch, file name) of each checkpoint in the folder, newest first."""
    if not os.path.isdir(folder):
        return []
    found = [(int(m.group(1)), n) for n in os.listdir(folder) if (m := NAME.match(n))]
    return sorted(found, reverse=True)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable, where the platform allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(folder: str, name: str, state: Any) -> None:
    import torch

    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(folder, name))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(folder)


def _prune(folder: str, keep: int) -> None:
    for _, name in _existing(folder)[keep:]:
        os.unlink(os.path.join(folder, name))


def checkpoint(epoch: int, state: Any, keep: int = KEEP) -> str | None:
    """Save `state` (say {"model": …, "optimizer": …, "epoch": epoch}) as this epoch's checkpoint; rank 0 writes.

    Every rank must call it: the ranks wait for each other after the write, so none runs ahead of a checkpoint a
    restart would resume from. Returns the file's path on rank 0, None on the others.
    """
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    path = None
    if is_main():
        folder = checkpoint_dir()
        name = _name(epoch)
        _write(folder, name, state)
        _prune(folder, keep)
        emit({"type": "checkpoint", "name": name, "epoch": epoch})
        path = os.path.join(folder, name)
    barrier()
    return path


def _load(path: str, weights_only: bool) -> Any:
    import torch

    return torch.load(path, map_location="cpu", weights_only=weights_only)


def _newest(weights_only: bool) -> tuple[str | None, Any]:
    """(file name, state) of the newest checkpoint in this process's folder that loads; (None, None) without one."""
    folder = checkpoint_dir()
    for _, name in _existing(folder):
        path = os.path.join(folder, name)
        try:
            return name, _load(path, weights_only)
        except Exception as err:  # torch raises RuntimeError, EOFError, pickle errors … for a torn file
            if "Weights only load failed" in str(err):
                raise RuntimeError(
                    f"{path} holds objects torch.load's weights_only mode refuses; save plain state dicts, or call "
                    "liftoff.restore(weights_only=False) for checkpoints this job wrote itself"
                ) from err
            warnings.warn(
                f"skipping the checkpoint {path}, which does not load: {str(err).splitlines()[0]}", stacklevel=3
            )
    return None, None


def _agree(name: str | None, state: Any) -> Any:
    """Rank 0's checkpoint on every rank: each rank read its own folder, and ranks that resumed from different
    epochs would run loops of different lengths and wait for each other forever. When they read the same file (the
    usual case: one folder, or the same files downloaded on every worker) nothing more is sent; otherwise rank 0's
    state is sent to the others."""
    import torch.distributed as dist

    names: list[Any] = [None] * world_size()
    dist.all_gather_object(names, name)
    if all(n == names[0] for n in names):
        return state
    if is_main():
        warnings.warn(f"the ranks found different newest checkpoints ({names}); all resume from rank 0's", stacklevel=3)
    box = [state if is_main() else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def restore(weights_only: bool = True) -> Any:
    """The newest checkpoint's state (tensors on the CPU), or None when there is none; every rank calls it.

    Every rank gets the same state: rank 0's, if a rank's folder holds another newest file. weights_only=True is
    torch.load's safe default: state dicts, tensors and plain Python containers load. A state holding other objects
    needs weights_only=False (only for checkpoints this job wrote itself).
    """
    name, state = _newest(weights_only)
    if initialized() and world_size() > 1:
        return _agree(name, state)
    return state
