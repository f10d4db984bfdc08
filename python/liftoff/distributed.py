"""torchrun's process group, set up the way the Liftoff image expects: NCCL when the worker has a GPU, else gloo.

Only rank 0 writes events, checkpoints and the export; every rank must still call those functions, so that the
barriers in them line up.
"""

from __future__ import annotations

import os
from typing import Any


def _torchrun() -> bool:
    """True under torchrun (or any launcher that sets the env:// rendezvous variables)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def _dist() -> Any:
    import torch.distributed as dist

    return dist


def initialized() -> bool:
    """Whether a process group is up (torch.distributed may be absent in a CPU-only build)."""
    dist = _dist()
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's global rank: the process group's, else torchrun's RANK, else 0 (a by-hand run)."""
    if initialized():
        return int(_dist().get_rank())
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """The number of processes training together; 1 outside torchrun."""
    if initialized():
        return int(_dist().get_world_size())
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Rank 0: the one process that writes the events file, checkpoints and model.onnx."""
    return rank() == 0


def barrier() -> None:
    """Wait for every rank, when there are others (a no-op in a world of 1)."""
    if not initialized() or world_size() == 1:
        return
    dist = _dist()
    if dist.get_backend() == "nccl":
        import torch

        # NCCL's barrier runs on a GPU; naming this rank's spares it the guess (and the warning about guessing).
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


def _device(local_rank: int) -> Any:
    import torch

    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_distributed(timeout_seconds: float = 1800) -> Any:
    """Join torchrun's process group (env:// rendezvous) and return the device this process trains on.

    Under torchrun: NCCL when CUDA is available (one GPU per local rank, LOCAL_RANK), else gloo. Outside torchrun it
    starts nothing (a world of 1) so the same script runs by hand. Calling it twice returns the same device.
    """
    import datetime

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = _device(local_rank)
    if not _torchrun() or initialized():
        return device
    dist = _dist()
    if not dist.is_available():
        raise RuntimeError("this torch build has no torch.distributed; install a torch wheel with distributed support")
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(seconds=timeout_seconds))
    return device
