"""A plaintext DataSet version (train/ validation/ test/ Parquet folders, preprocessing.json, stats.json) as tensors.

The runtime's wrapper stages the version (download, digest check, decryption) and names the folder in
LIFTOFF_TORCH_DATA_DIR; by hand, pass the folder. Features are preprocessing.json's featureNames columns in order, as
float32 — the model's input, the same columns the served model.onnx gets.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import _env
from .labels import check_indices, class_indices

SPLITS = ("train", "validation", "test")
FORMAT_VERSION = 1


@dataclass
class Split:
    """One split's rows: x float32 [n, width]; y int64 class index (classification) or float32 (regression)."""

    name: str
    x: Any
    y: Any

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def shard(
        self, rank: int | None = None, world: int | None = None, epoch: int | None = None, seed: int = 0
    ) -> Split:
        """This rank's rows, as torch's DistributedSampler picks them (drop_last False).

        Every rank gets ceil(n / world) rows — the first rows repeat to fill the last shard — because DDP needs the
        same number of steps on every rank or the gradient all-reduce waits forever. With `epoch`, the rows are first
        shuffled by a generator seeded with seed + epoch, the same order on every rank.
        """
        import torch

        from .distributed import rank as current_rank
        from .distributed import world_size

        rank = current_rank() if rank is None else rank
        world = world_size() if world is None else world
        if world < 1 or not 0 <= rank < world:
            raise ValueError(f"shard({rank}, {world}): the rank must be in 0..world-1 and the world at least 1")
        n = len(self)
        if epoch is None:
            order = torch.arange(n)
        else:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        per_rank = -(-n // world) if n else 0
        if per_rank * world > n and n:
            order = torch.cat([order, order.repeat(world)[: per_rank * world - n]])
        picked = order[rank : per_rank * world : world]
        return Split(self.name, self.x[picked], self.y[picked])


@dataclass
class Dataset:
    """The version's three splits and what preprocessing.json / stats.json say about them."""

    path: str
    preprocessing: dict[str, Any]
    stats: dict[str, Any]
    train: Split
    validation: Split
    test: Split
    feature_names: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        """regression, binary or multiclass."""
        return str(self.preprocessing["target"]["task"])

    @property
    def classes(self) -> list[str] | None:
        """The class labels (a label's index is the training label), None for regression."""
        classes = self.preprocessing["target"].get("classes")
        return list(classes) if classes is not None else None

    @property
    def target(self) -> str:
        """The target column's name."""
        return str(self.preprocessing["target"]["column"])

    def split(self, name: str) -> Split:
        """A split by name; an unknown name is an error that lists the known ones."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}: a DataSet version has {', '.join(SPLITS)}")
        return getattr(self, name)


def _read_json(path: str, what: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise ValueError(f"{path} is missing: is this a plaintext DataSet version folder ({what})?")
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    version = value.get("formatVersion")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path} has formatVersion {version}; this liftoff package reads version {FORMAT_VERSION}")
    return value


def _table(folder: str, columns: list[str]) -> Any:
    """Every Parquet file of a split folder, in name order, as one table of the wanted columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not os.path.isdir(folder):
        raise ValueError(f"the split folder {folder} is missing: is this a plaintext DataSet version folder?")
    tables = []
    for file in sorted(glob.glob(os.path.join(folder, "*.parquet"))):
        names = pq.read_schema(file).names
        missing = [c for c in columns if c not in names]
        if missing:
            raise ValueError(f"{file} has no column {', '.join(missing)} (it has {', '.join(names)})")
        tables.append(pq.read_table(file, columns=columns))
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def _features(table: Any, names: list[str], folder: str) -> Any:
    import numpy as np
    import pyarrow as pa
    import torch

    if table is None:
        return torch.zeros((0, len(names)), dtype=torch.float32)
    columns = []
    for name in names:
        column = table.column(name)
        if column.null_count:
            raise ValueError(f"feature {name} has a missing value in {folder}; fill or drop it in the DataSet")
        try:
            columns.append(column.cast(pa.float64()).to_numpy())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValueError(f"feature {name} in {folder} is {column.type}, not numeric") from None
    return torch.from_numpy(np.stack(columns, axis=1).astype(np.float32)).reshape(-1, len(names))


def _labels(table: Any, target: dict[str, Any], folder: str) -> Any:
    import numpy as np
    import pyarrow as pa
    import torch

    column = target["column"]
    if table is None:
        dtype = torch.float32 if target["task"] == "regression" else torch.int64
        return torch.zeros((0,), dtype=dtype)
    values = table.column(column)
    if values.null_count:
        raise ValueError(f"target {column} has a missing value in {folder}; drop or fill it in the DataSet")
    if target["task"] != "regression" and pa.types.is_integer(values.type):
        # The common case (prepare stores the class index): no per-row Python work.
        return torch.from_numpy(check_indices(values.to_numpy().astype(np.int64), target.get("classes"), column))
    values = values.to_pylist()
    if target["task"] == "regression":
        try:
            return torch.tensor([float(v) for v in values], dtype=torch.float32)
        except (TypeError, ValueError):
            raise ValueError(f"target {column} in {folder} is not numeric, but the task is regression") from None
    return torch.tensor(class_indices(values, target.get("classes"), column), dtype=torch.int64)


def _split(path: str, name: str, pre: dict[str, Any]) -> Split:
    folder = os.path.join(path, name)
    names = list(pre["featureNames"])
    table = _table(folder, [*names, pre["target"]["column"]])
    return Split(name, _features(table, names, folder), _labels(table, pre["target"], folder))


def dataset(path: str | None = None) -> Dataset:
    """The plaintext DataSet version at `path`, default LIFTOFF_TORCH_DATA_DIR (set by the TrainingJob's wrapper)."""
    path = path or _env.get(_env.DATA_DIR)
    if path is None:
        raise ValueError(
            f"no DataSet folder: pass liftoff.dataset('<plain version folder>') or set {_env.DATA_DIR} "
            "(a TrainingJob's pods have it set)"
        )
    if not os.path.isdir(path):
        raise ValueError(f"the DataSet folder {path} does not exist")
    pre = _read_json(os.path.join(path, "preprocessing.json"), "preprocessing.json")
    stats = _read_json(os.path.join(path, "stats.json"), "stats.json")
    splits = {name: _split(path, name, pre) for name in SPLITS}
    return Dataset(path, pre, stats, feature_names=list(pre["featureNames"]), **splits)
