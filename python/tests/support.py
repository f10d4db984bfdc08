"""Shared fixtures of the liftoff package's tests: a real penguins DataSet version, written by the runtime's own
`prepare` command (plaintext: the encryption of config/samples/penguins/dataset.yaml left out), once per process.

Run from the repository root: `<python of hack/pytorch-venv.sh> -m unittest discover -s python/tests -t python`.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from unittest import mock

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKAGE_DIR = os.path.join(ROOT, "python")

# config/samples/penguins/dataset.yaml, the DataSet of the e2e tests, without its encryption (a local run has no Vault).
PENGUINS_SPEC = {
    "apiVersion": "liftoff.dev/v1alpha1",
    "kind": "DataSet",
    "metadata": {"name": "penguins"},
    "spec": {
        "source": {"pvc": {"claimName": "liftoff-data", "path": "examples/penguins.csv"}},
        "format": "csv",
        "schema": {
            "target": "species",
            "columns": [
                {"name": "species", "type": "category"},
                {"name": "island", "type": "category"},
                {"name": "bill_length_mm", "type": "number"},
                {"name": "bill_depth_mm", "type": "number"},
                {"name": "flipper_length_mm", "type": "number"},
                {"name": "body_mass_g", "type": "number"},
                {"name": "sex", "type": "category"},
                {"name": "year", "type": "integer"},
            ],
        },
        "transforms": [
            {"type": "dropNA"},
            {"type": "dropColumns", "columns": ["year"]},
            {"type": "standardize", "columns": ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]},
            {"type": "oneHot", "columns": ["island", "sex"]},
        ],
        "split": {"train": 0.7, "validation": 0.15, "test": 0.15, "seed": 42},
        "output": {"claimName": "liftoff-data", "path": "datasets/penguins"},
    },
}

_versions: dict[str, str] = {}


def scratch() -> str:
    """A temporary folder removed when the process exits."""
    folder = tempfile.mkdtemp(prefix="liftoff-py-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def prepare(spec: dict) -> str:
    """A plaintext version of `spec`, written by `liftoff-runtime prepare` (tsx, as `npm run runtime` runs it)."""
    work = scratch()
    path = os.path.join(work, "dataset.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    out = subprocess.run(
        [
            os.path.join(ROOT, "node_modules", ".bin", "tsx"),
            "runtime/src/main.ts",
            "prepare",
            "--spec",
            path,
            "--out",
            os.path.join(work, "out"),
            "--source-root",
            ROOT,
            "--scratch",
            work,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["dir"]


def penguins() -> str:
    """The plaintext penguins version folder (train/ validation/ test/, preprocessing.json, stats.json)."""
    if "penguins" not in _versions:
        _versions["penguins"] = prepare(PENGUINS_SPEC)
    return _versions["penguins"]


def penguins_regression() -> str:
    """The same data with body_mass_g as a regression target (the other measurements standardised)."""
    if "regression" not in _versions:
        spec = copy.deepcopy(PENGUINS_SPEC)
        spec["spec"]["schema"]["target"] = "body_mass_g"
        spec["spec"]["transforms"][2]["columns"] = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
        _versions["regression"] = prepare(spec)
    return _versions["regression"]


def free_port() -> int:
    """A TCP port nothing listens on now, for a local rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def liftoff_env(**values: str) -> Iterator[None]:
    """os.environ without any LIFTOFF_TORCH_* / torchrun variable except the ones given, restored afterwards."""
    drop = [k for k in os.environ if k.startswith("LIFTOFF_TORCH_") or k in TORCHRUN]
    with mock.patch.dict(os.environ, values):
        for k in drop:
            if k not in values:
                del os.environ[k]
        yield


TORCHRUN = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def read_events(path: str) -> list[dict]:
    """The events file's objects, each line parsed on its own (a line that is not one JSON object fails the test)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().splitlines()]
