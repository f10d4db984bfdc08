"""One rank of test_distributed.py's 2-process gloo run (started by torch.multiprocessing.spawn).

It trains a seeded MLP on its shard of the penguins training split with DistributedDataParallel and saves, for the
parent to compare: its first batch's gradient computed alone (no exchange), DDP's gradient of the same batch (the
all-reduced mean), and the weights after a few steps. It also calls report, checkpoint and export_onnx, as every rank
of a real script does.
"""

from __future__ import annotations

import os

import liftoff
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def model() -> torch.nn.Module:
    torch.manual_seed(11)
    return torch.nn.Sequential(torch.nn.Linear(9, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def grads(m: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.detach().clone() for p in m.parameters()]


def run(rank: int, world: int, port: int, data: str, env: dict[str, str], out: str) -> None:
    os.environ.update(env)
    os.environ.update(
        {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_WORLD_SIZE": str(world),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
    )
    torch.set_num_threads(1)
    device = liftoff.init_distributed()
    assert liftoff.init_distributed() == device  # a second call changes nothing
    shard = liftoff.dataset(data).train.shard(epoch=0, seed=5)
    x, y = shard.x[:32], shard.y[:32]

    alone = model()
    F.cross_entropy(alone(x), y).backward()

    net = DistributedDataParallel(model())
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    F.cross_entropy(net(x), y).backward()
    exchanged = grads(net.module)
    opt.step()
    for start in range(32, len(shard), 32):
        opt.zero_grad()
        F.cross_entropy(net(shard.x[start : start + 32]), shard.y[start : start + 32]).backward()
        opt.step()

    liftoff.report(1, {"loss": 0.5}, epochs=1, samples=len(shard) * world, seconds=1.0)
    liftoff.checkpoint(1, {"model": net.module.state_dict(), "epoch": 1})
    liftoff.export_onnx(net, shard.x[:2], metrics={"accuracy": 0.5})
    torch.save(
        {
            "backend": dist.get_backend(),
            "rank": liftoff.rank(),
            "world": liftoff.world_size(),
            "alone": grads(alone),
            "exchanged": exchanged,
            "weights": [p.detach() for p in net.module.parameters()],
        },
        os.path.join(out, f"rank{rank}.pt"),
    )
    dist.destroy_process_group()


def restore_run(rank: int, world: int, port: int, folders: list[str], out: str) -> None:
    """Each rank restores from its own folder (rank 1's is empty or older); saves what restore() gave it."""
    os.environ.update(
        {
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_WORLD_SIZE": str(world),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "LIFTOFF_TORCH_CHECKPOINT_DIR": folders[rank],
        }
    )
    liftoff.init_distributed()
    state = liftoff.restore()
    torch.save(state, os.path.join(out, f"restore{rank}.pt"))
    dist.destroy_process_group()
