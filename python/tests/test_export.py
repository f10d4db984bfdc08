"""liftoff.export_onnx: model.onnx that onnxruntime loads and that answers as torch does, for any batch size."""

from __future__ import annotations

import os
import unittest

import liftoff
import numpy as np
import onnxruntime as ort
import torch

from tests.support import liftoff_env, penguins, read_events, scratch


def mlp() -> torch.nn.Module:
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(9, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


class ExportTest(unittest.TestCase):
    def setUp(self) -> None:
        work = scratch()
        self.dir = os.path.join(work, "export")
        self.events = os.path.join(work, "events.jsonl")
        self.ds = liftoff.dataset(penguins())

    def export(self, model: torch.nn.Module, example: torch.Tensor) -> str:
        with liftoff_env(LIFTOFF_TORCH_EXPORT_DIR=self.dir, LIFTOFF_TORCH_EVENTS=self.events):
            return liftoff.export_onnx(model, example, metrics={"accuracy": 0.97, "loss": float("nan")})

    def test_onnxruntime_gives_torch_outputs_on_another_batch_size(self) -> None:
        model = mlp().train()
        path = self.export(model, self.ds.test.x[:1])  # a batch of 1 must still export a dynamic batch axis
        self.assertEqual(os.listdir(self.dir), ["model.onnx"])  # no temporary file left behind
        self.assertTrue(model.training, "the model is back in training mode")
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.assertEqual([i.name for i in session.get_inputs()], ["input"])
        self.assertEqual([o.name for o in session.get_outputs()], ["output"])
        self.assertIsInstance(session.get_inputs()[0].shape[0], str)  # symbolic batch
        for rows in (self.ds.test.x, self.ds.validation.x[:5]):
            got = session.run(["output"], {"input": rows.numpy()})[0]
            with torch.no_grad():
                want = model.eval()(rows).numpy()
            np.testing.assert_allclose(got, want, atol=1e-5)

    def test_the_export_event_names_the_file_metrics_and_input(self) -> None:
        self.export(mlp(), self.ds.test.x[:4])
        self.assertEqual(
            read_events(self.events),
            [
                {
                    "type": "export",
                    "file": "model.onnx",
                    "metrics": {"accuracy": 0.97},
                    "inputs": [{"name": "input", "shape": [-1, 9]}],
                }
            ],
        )

    def test_a_bad_example_says_what_to_pass(self) -> None:
        with self.assertRaisesRegex(ValueError, r"ds.test.x\[:2\]"):
            self.export(mlp(), [1.0, 2.0])
        with self.assertRaisesRegex(ValueError, "no rows"):
            self.export(mlp(), self.ds.test.x[:0])

    def test_other_ranks_write_nothing(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_EXPORT_DIR=self.dir, LIFTOFF_TORCH_EVENTS=self.events, RANK="1", WORLD_SIZE="2"):
            self.assertIsNone(liftoff.export_onnx(mlp(), self.ds.test.x[:2]))
        self.assertFalse(os.path.exists(self.dir))
