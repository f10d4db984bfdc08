"""The events file the runtime's wrapper reads (LIFTOFF_TORCH_EVENTS): one JSON object a line, rank 0 only.

Each event is one write of a whole line to a file opened for appending, so a reader polling the file never sees half
an event it could mistake for a whole one. Outside Liftoff (no variable) a progress event is printed instead.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from . import _env
from .distributed import is_main

METRIC_NAME = re.compile(r"^[A-Za-z_]{1,32}$")


def metrics_dict(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Finite float metrics (0-d tensors and numpy scalars too); a bad name is an error, a NaN or inf is dropped.

    Dropped rather than refused: a diverging loss is a fact of the run, not a bug of the script, and JSON has no NaN.
    """
    out: dict[str, float] = {}
    for name, value in (metrics or {}).items():
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise ValueError(f"metric name {name!r} must match {METRIC_NAME.pattern} (letters and _, up to 32)")
        if isinstance(value, bool):
            raise ValueError(f"metric {name} is a bool; report a number")
        try:
            number = float(value.item() if hasattr(value, "item") else value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name} is {type(value).__name__}, not a number") from None
        if math.isfinite(number):
            out[name] = number
    return out


def emit(event: dict[str, Any]) -> bool:
    """Append the event to the events file (rank 0, in Liftoff); False where there is no file to write."""
    path = _env.get(_env.EVENTS)
    if not is_main() or path is None:
        return False
    line = (json.dumps(event, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return True


def _count(name: str, value: float | int | None, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return kind(value)


def _progress_line(event: dict[str, Any]) -> str:
    epochs = f"/{event['epochs']}" if "epochs" in event else ""
    parts = [f"epoch {event['epoch']}{epochs}"] + [f"{k}={v:.4g}" for k, v in event["metrics"].items()]
    if event.get("seconds") and event.get("samples") is not None:
        parts.append(f"{event['samples'] / event['seconds']:.0f} samples/s")
    return " ".join(parts)


def report(
    epoch: int,
    metrics: Mapping[str, Any],
    epochs: int | None = None,
    samples: int | None = None,
    seconds: float | None = None,
) -> None:
    """One epoch's metrics (loss, val_loss, val_accuracy, …); rank 0 writes, the other ranks do nothing.

    samples: rows trained this epoch across all ranks; seconds: the epoch's wall time — together the wrapper's
    samples/s. Outside Liftoff the line is printed.
    """
    # Epochs count from 1, as the TrainingJob's status shows them: the wrapper ignores a progress event for epoch 0.
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise ValueError(f"epoch must be an int from 1 (the first epoch is 1), got {epoch!r}")
    if epochs is not None and not (isinstance(epochs, int) and not isinstance(epochs, bool) and epochs >= epoch):
        raise ValueError(f"epochs must be the run's whole number of epochs, at least epoch {epoch}; got {epochs!r}")
    event: dict[str, Any] = {"type": "progress", "epoch": epoch, "metrics": metrics_dict(metrics)}
    optional = {
        "epochs": _count("epochs", epochs, int),
        "samples": _count("samples", samples, int),
        "seconds": _count("seconds", seconds, float),
    }
    event.update({k: v for k, v in optional.items() if v is not None})
    if not is_main():
        return
    if not emit(event):
        print(_progress_line(event), file=sys.stderr, flush=True)
