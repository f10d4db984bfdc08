"""Penguin species from the penguins DataSet: a plain PyTorch DistributedDataParallel loop, the sample script of a
pytorch TrainingJob (docs/pytorch.md, docs/trainingjob.md).

In a TrainingJob, the Liftoff image runs it under torchrun on every worker pod with the LIFTOFF_TORCH_* variables
set; by hand it runs the same way on a plaintext DataSet version folder:

    python penguins_ddp.py --data <version folder> [--epochs N]
    python -m torch.distributed.run --nnodes 1 --nproc-per-node 2 penguins_ddp.py --data <version folder>

Each epoch: every rank trains on its shard of the training rows (DDP averages the gradients), then the validation
split is scored, reported and checkpointed; a restarted run resumes after its newest checkpoint. At the end the test
split is scored and the model exported to ONNX. Seeded (hyperparameter seed), so two runs give the same accuracy.
The last line on stdout is `test_accuracy=<x>`; each rank also prints a digest of its final weights on stderr, the
same on every rank when the gradients were exchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from typing import Any

import liftoff
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="plaintext DataSet version folder (default: $LIFTOFF_TORCH_DATA_DIR)")
    parser.add_argument("--epochs", type=int, help="overrides the hyperparameter epochs")
    parser.add_argument("--hidden", type=int, default=16, help="width of the hidden layer (default 16)")
    return parser.parse_args()


def build(width: int, hidden: int, classes: int) -> nn.Module:
    """width → hidden → classes; the output is the logits (the served model's output)."""
    return nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def optimizer(hp: dict[str, Any], params: Any) -> torch.optim.Optimizer:
    name = str(hp.get("optimizer", "adam")).lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=hp["learningRate"])
    if name == "sgd":
        return torch.optim.SGD(params, lr=hp["learningRate"], momentum=0.9)
    raise ValueError(f"hyperparameter optimizer {name!r}: this script knows adam and sgd")


def train_epoch(net: nn.Module, opt: torch.optim.Optimizer, shard: liftoff.Split, batch: int, device: Any) -> float:
    """One pass over this rank's shard; returns the mean training loss over every rank's rows."""
    net.train()
    total = torch.zeros(2, dtype=torch.float64, device=device)
    for start in range(0, len(shard), batch):
        x = shard.x[start : start + batch].to(device)
        y = shard.y[start : start + batch].to(device)
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()  # DDP all-reduces the gradients here: every rank steps with their mean
        opt.step()
        total += torch.stack([loss.detach().double() * len(y), torch.tensor(len(y), device=device)])
    if dist.is_initialized():
        dist.all_reduce(total)
    return float(total[0] / total[1])


@torch.no_grad()
def evaluate(model: nn.Module, split: liftoff.Split, device: Any) -> tuple[float, float]:
    """(loss, accuracy) on a whole split; the ranks hold the same weights, so each computes the same numbers."""
    model.eval()
    logits = model(split.x.to(device))
    y = split.y.to(device)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).double().mean())


def weights_digest(model: nn.Module) -> str:
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def main() -> None:
    args = parse_args()
    device = liftoff.init_distributed()
    hp = liftoff.hyperparameters(epochs=30, batchSize=32, learningRate=0.01, seed=7)
    if args.epochs is not None:
        hp["epochs"] = args.epochs
    ds = liftoff.dataset(args.data)
    if ds.classes is None:
        raise ValueError(f"penguins_ddp.py classifies; the DataSet's task is {ds.task}")

    torch.manual_seed(hp["seed"])
    model = build(len(ds.feature_names), args.hidden, len(ds.classes)).to(device)
    opt = optimizer(hp, model.parameters())
    first = 1
    state = liftoff.restore()
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        first = state["epoch"] + 1
        sys.stderr.write(f"rank {liftoff.rank()}: resuming from the checkpoint of epoch {state['epoch']}\n")
    net = DistributedDataParallel(model) if dist.is_initialized() else model

    for epoch in range(first, hp["epochs"] + 1):
        started = time.monotonic()
        shard = ds.train.shard(epoch=epoch, seed=hp["seed"])
        loss = train_epoch(net, opt, shard, hp["batchSize"], device)
        val_loss, val_accuracy = evaluate(model, ds.validation, device)
        liftoff.report(
            epoch,
            {"loss": loss, "val_loss": val_loss, "val_accuracy": val_accuracy},
            epochs=hp["epochs"],
            samples=len(shard) * liftoff.world_size(),
            seconds=time.monotonic() - started,
        )
        liftoff.checkpoint(epoch, {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch})

    test_loss, test_accuracy = evaluate(model, ds.test, device)
    # Before the export: its barrier then keeps every rank's line ahead of rank 0's last one.
    # One write: the ranks share torchrun's stderr, and print() writes the line and its end separately.
    sys.stderr.write(f"rank {liftoff.rank()}/{liftoff.world_size()}: weights {weights_digest(model)}\n")
    sys.stderr.flush()
    liftoff.export_onnx(net, ds.test.x[:2], metrics={"accuracy": test_accuracy, "loss": test_loss})
    if liftoff.is_main():
        print(f"test_accuracy={test_accuracy}", flush=True)
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
