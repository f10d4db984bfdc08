"""The training label of each row, read as runtime/src/train/data.ts splitQuery reads it for TF.js training.

A classification DataSet may store a class's index or its label: an integer (or an integer-looking string) is the
index, anything else is looked up in preprocessing.json target.classes. Regression targets are plain floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _index(value: Any, classes: Sequence[str] | None, column: str) -> int:
    """One row's class index; what splitQuery's TRY_CAST / list_position does, plus a range check."""
    if isinstance(value, bool):
        index = int(value)
    elif isinstance(value, int):
        index = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"target {column} holds {value}, which is neither a class index nor a class label")
        index = int(value)
    else:
        text = str(value)
        try:
            index = int(text.strip())
        except ValueError:
            if classes is None or text not in classes:
                known = f" (known: {', '.join(classes)})" if classes else ""
                raise ValueError(f"target {column} holds the unknown class {text!r}{known}") from None
            index = list(classes).index(text)
    if index < 0 or (classes is not None and index >= len(classes)):
        raise ValueError(f"target {column} holds the class index {index}, outside 0..{len(classes or []) - 1}")
    return index


def check_indices(indices: Any, classes: Sequence[str] | None, column: str) -> Any:
    """A numpy array of stored class indices, refused when one is outside the classes."""
    bad = (indices < 0) | (indices >= len(classes)) if classes is not None else indices < 0
    if bad.any():
        index = int(indices[bad.argmax()])
        raise ValueError(f"target {column} holds the class index {index}, outside 0..{len(classes or []) - 1}")
    return indices


def class_indices(values: Sequence[Any], classes: Sequence[str] | None, column: str) -> list[int]:
    """Every row's class index; a missing value is an error that names the column."""
    out = []
    for value in values:
        if value is None:
            raise ValueError(f"target {column} has a missing value; drop or fill it in the DataSet's transforms")
        out.append(_index(value, classes, column))
    return out
