"""The TrainingJob's spec.hyperparameters, handed to the script as JSON in LIFTOFF_TORCH_HYPERPARAMETERS."""

from __future__ import annotations

import json
from typing import Any

from . import _env


def _from_env() -> dict[str, Any]:
    raw = _env.get(_env.HYPERPARAMETERS)
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"{_env.HYPERPARAMETERS} is not valid JSON ({err}); it must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError(f"{_env.HYPERPARAMETERS} must be a JSON object, got {type(value).__name__}")
    return value


def hyperparameters(**defaults: Any) -> dict[str, Any]:
    """The script's defaults with the spec's values over them (epochs, batchSize, learningRate, optimizer, seed, …).

    The spec wins because it is what the TrainingJob records as the run's hyperparameters; a key the script has no
    default for is kept too, so nothing the spec says is silently lost.
    """
    merged = dict(defaults)
    merged.update(_from_env())
    return merged
