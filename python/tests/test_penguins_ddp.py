"""examples/pytorch/penguins_ddp.py on the real penguins version: by hand (seeded, resumable) and under torchrun with
two processes and the wrapper's LIFTOFF_TORCH_* environment (events, checkpoints, export, exchanged gradients)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

import liftoff
import onnxruntime as ort
import torch

from tests.support import PACKAGE_DIR, ROOT, TORCHRUN, free_port, penguins, read_events, scratch

SCRIPT = os.path.join(ROOT, "examples", "pytorch", "penguins_ddp.py")


def run(args: list[str], cwd: str, **env: str) -> subprocess.CompletedProcess:
    """The script (or torchrun) with python/ on the path, the LIFTOFF_TORCH_* variables only as given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIFTOFF_TORCH_") and k not in TORCHRUN}
    clean.update(env, PYTHONPATH=PACKAGE_DIR, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done


def accuracy(stdout: str) -> float:
    """The script's result: its last line on stdout."""
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"test_accuracy=([0-9.]+)", last)
    if match is None:
        raise AssertionError(f"the last line is {last!r}, not test_accuracy=<x>")
    return float(match.group(1))


def onnx_accuracy(path: str) -> float:
    """The exported model's accuracy on the test split, in onnxruntime."""
    test = liftoff.dataset(penguins()).test
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = torch.from_numpy(session.run(["output"], {"input": test.x.numpy()})[0])
    return float((logits.argmax(1) == test.y).double().mean())


def digests(stderr: str) -> dict[str, str]:
    """rank/world → the digest of that rank's final weights."""
    return dict(re.findall(r"^rank (\d+/\d+): weights ([0-9a-f]{16})$", stderr, re.M))


class ByHandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.dirs = [scratch(), scratch()]
        cls.runs = [run([SCRIPT, "--data", penguins(), "--epochs", "10"], cwd=d) for d in cls.dirs]

    def test_seeded_runs_give_the_same_accuracy(self) -> None:
        first, second = (accuracy(r.stdout) for r in self.runs)
        self.assertEqual(first, second)
        self.assertGreaterEqual(first, 0.9)
        self.assertEqual(digests(self.runs[0].stderr), digests(self.runs[1].stderr))

    def test_files_land_beside_the_script_run(self) -> None:
        folder = self.dirs[0]
        self.assertEqual(
            sorted(os.listdir(os.path.join(folder, "checkpoints"))),
            ["epoch-000008.pt", "epoch-000009.pt", "epoch-000010.pt"],
        )
        self.assertEqual(onnx_accuracy(os.path.join(folder, "model.onnx")), accuracy(self.runs[0].stdout))
        self.assertEqual(len(re.findall(r"^epoch \d+/10 loss=", self.runs[0].stderr, re.M)), 10)

    def test_a_second_run_resumes_after_the_newest_checkpoint(self) -> None:
        folder = scratch()
        run([SCRIPT, "--data", penguins(), "--epochs", "3"], cwd=folder)
        again = run([SCRIPT, "--data", penguins(), "--epochs", "5"], cwd=folder)
        self.assertEqual(re.findall(r"^epoch (\d+)/5", again.stderr, re.M), ["4", "5"])
        self.assertEqual(
            sorted(os.listdir(os.path.join(folder, "checkpoints"))),
            ["epoch-000003.pt", "epoch-000004.pt", "epoch-000005.pt"],
        )


class TorchrunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        work = scratch()
        cls.env = {
            "LIFTOFF_TORCH_DATA_DIR": penguins(),
            "LIFTOFF_TORCH_CHECKPOINT_DIR": os.path.join(work, "checkpoints"),
            "LIFTOFF_TORCH_EXPORT_DIR": os.path.join(work, "export"),
            "LIFTOFF_TORCH_EVENTS": os.path.join(work, "events.jsonl"),
            "LIFTOFF_TORCH_HYPERPARAMETERS": '{"epochs": 4, "batchSize": 16, "learningRate": 0.02, "seed": 3}',
        }
        torchrun = [
            "-m",
            "torch.distributed.run",
            "--nnodes",
            "1",
            "--node-rank",
            "0",
            "--nproc-per-node",
            "2",
            "--master-addr",
            "127.0.0.1",
            "--master-port",
            str(free_port()),
        ]
        cls.done = run([*torchrun, SCRIPT], cwd=work, **cls.env)
        cls.events = read_events(cls.env["LIFTOFF_TORCH_EVENTS"])

    def test_a_progress_and_a_checkpoint_event_for_each_epoch(self) -> None:
        progress = [e for e in self.events if e["type"] == "progress"]
        self.assertEqual([e["epoch"] for e in progress], [1, 2, 3, 4])
        for e in progress:
            self.assertEqual(e["epochs"], 4)
            self.assertEqual(e["samples"], 234)  # 233 training rows, 117 a rank
            self.assertEqual(sorted(e["metrics"]), ["loss", "val_accuracy", "val_loss"])
        checkpoints = [e for e in self.events if e["type"] == "checkpoint"]
        self.assertEqual(
            checkpoints, [{"type": "checkpoint", "name": f"epoch-{i:06d}.pt", "epoch": i} for i in range(1, 5)]
        )
        self.assertEqual(
            sorted(os.listdir(self.env["LIFTOFF_TORCH_CHECKPOINT_DIR"])),
            ["epoch-000002.pt", "epoch-000003.pt", "epoch-000004.pt"],
        )

    def test_the_export_event_carries_the_test_accuracy_of_model_onnx(self) -> None:
        self.assertEqual(self.events[-1]["type"], "export")
        printed = accuracy(self.done.stdout)
        self.assertEqual(self.events[-1]["metrics"]["accuracy"], printed)
        self.assertEqual(self.events[-1]["inputs"], [{"name": "input", "shape": [-1, 9]}])
        self.assertEqual(onnx_accuracy(os.path.join(self.env["LIFTOFF_TORCH_EXPORT_DIR"], "model.onnx")), printed)

    def test_both_ranks_exchanged_gradients(self) -> None:
        # Each rank trained on its own shard: only averaged gradients leave them with the same weights.
        ranks = digests(self.done.stderr)
        self.assertEqual(sorted(ranks), ["0/2", "1/2"])
        self.assertEqual(ranks["0/2"], ranks["1/2"])
