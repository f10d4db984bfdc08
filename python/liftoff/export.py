"""The trained model as EXPORT_DIR/model.onnx (./model.onnx by hand): the artifact a ModelDeployment serves.

One input named "input" (float32 [batch, width], the DataSet's featureNames in order), one output named "output"
(the logits, or the predicted value), the batch axis dynamic, the weights inside the file (the runtime loads one
self-contained file). The file is written under a temporary name and renamed, so the wrapper never loads half of it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

from . import _env
from .distributed import barrier, is_main
from .events import emit, metrics_dict

FILE = "model.onnx"


def export_dir() -> str:
    """The folder model.onnx goes to: the wrapper's, else the current folder."""
    return _env.folder(_env.EXPORT_DIR, _env.DEFAULT_EXPORT_DIR)


def _unwrap(model: Any) -> Any:
    """The module inside DistributedDataParallel / DataParallel: their wrappers are not part of the model."""
    return getattr(model, "module", model)


def _example(model: Any, example: Any) -> Any:
    """The example as a float tensor on the model's device, with a batch of at least 2.

    torch.export treats a dimension of size 1 as a constant, so a batch of 1 would export a model that only takes
    one row at a time: a second row is added (a copy of the first) to keep the batch axis symbolic.
    """
    import torch

    if not isinstance(example, torch.Tensor) or example.dim() < 2:
        raise ValueError("export_onnx needs an example input tensor shaped [batch, features…], e.g. ds.test.x[:2]")
    if example.shape[0] == 0:
        raise ValueError("export_onnx's example has no rows; pass at least one, e.g. ds.test.x[:2]")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    example = example.detach().to(device=device, dtype=torch.float32)
    return example if example.shape[0] >= 2 else torch.cat([example, example])


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter's chatter off the script's output: its progress lines go to stdout, which is the script's own
    (penguins_ddp.py prints its result there), and it warns that torchvision's operators are not registered, which
    a model without them does not care about. Real errors still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _export(model: Any, example: Any, path: str) -> None:
    import torch

    batch = torch.export.Dim("batch")
    with _quiet_exporter():
        torch.onnx.export(
            model,
            (example,),
            path,
            input_names=["input"],
            output_names=["output"],
            dynamic_shapes=({0: batch},),
            external_data=False,
            dynamo=True,
            verbose=False,
        )


def export_onnx(model: Any, example: Any, metrics: Mapping[str, Any] | None = None) -> str | None:
    """Export `model` (DDP-wrapped or not) to model.onnx on rank 0, then write the export event with `metrics`.

    metrics: the script's final test metrics (accuracy, loss, …); they become the TrainingJob's status.finalMetrics.
    Every rank must call it (the ranks wait for rank 0's export). Returns the file's path on rank 0.
    """
    final = metrics_dict(metrics)
    path = None
    if is_main():
        module = _unwrap(model)
        x = _example(module, example)
        folder = export_dir()
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, FILE)
        tmp = os.path.join(folder, f".{FILE}.tmp-{os.getpid()}")
        was_training = module.training
        module.eval()
        try:
            _export(module, x, tmp)
            os.replace(tmp, path)
        finally:
            module.train(was_training)
            if os.path.exists(tmp):
                os.unlink(tmp)
        shape = [-1, *[int(d) for d in x.shape[1:]]]
        emit({"type": "export", "file": FILE, "metrics": final, "inputs": [{"name": "input", "shape": shape}]})
    barrier()
    return path
