"""liftoff.report and the events file: the line format the runtime's wrapper parses, rank 0 only."""

from __future__ import annotations

import contextlib
import io
import math
import os
import unittest

import liftoff
import torch

from tests.support import liftoff_env, read_events, scratch


class ReportTest(unittest.TestCase):
    def setUp(self) -> None:
        self.events = os.path.join(scratch(), "events.jsonl")

    def test_progress_lines_carry_metrics_samples_and_seconds(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_EVENTS=self.events):
            liftoff.report(1, {"loss": torch.tensor(0.5), "val_accuracy": 0.75}, epochs=30, samples=233, seconds=0.25)
            liftoff.report(2, {"loss": 0.25})
        self.assertEqual(
            read_events(self.events),
            [
                {
                    "type": "progress",
                    "epoch": 1,
                    "metrics": {"loss": 0.5, "val_accuracy": 0.75},
                    "epochs": 30,
                    "samples": 233,
                    "seconds": 0.25,
                },
                {"type": "progress", "epoch": 2, "metrics": {"loss": 0.25}},
            ],
        )

    def test_non_finite_values_are_dropped(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_EVENTS=self.events):
            liftoff.report(3, {"loss": math.nan, "val_loss": math.inf, "val_accuracy": 0.5})
        self.assertEqual(read_events(self.events)[0]["metrics"], {"val_accuracy": 0.5})

    def test_bad_input_says_what_to_fix(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_EVENTS=self.events):
            with self.assertRaisesRegex(ValueError, r"must match \^\[A-Za-z_\]\{1,32\}\$"):
                liftoff.report(1, {"val-loss": 0.1})
            with self.assertRaisesRegex(ValueError, "metric loss is str, not a number"):
                liftoff.report(1, {"loss": "low"})
            with self.assertRaisesRegex(ValueError, r"epoch must be an int from 1 \(the first epoch is 1\), got 0"):
                liftoff.report(0, {"loss": 0.1})
            with self.assertRaisesRegex(ValueError, "at least epoch 5; got 4"):
                liftoff.report(5, {"loss": 0.1}, epochs=4)
            with self.assertRaisesRegex(ValueError, "samples must be a non-negative number"):
                liftoff.report(1, {"loss": 0.1}, samples=-5)
        self.assertFalse(os.path.exists(self.events))

    def test_other_ranks_write_nothing(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_EVENTS=self.events, RANK="1", WORLD_SIZE="2"):
            liftoff.report(1, {"loss": 0.1})
        self.assertFalse(os.path.exists(self.events))

    def test_by_hand_a_line_is_printed(self) -> None:
        err = io.StringIO()
        with liftoff_env(), contextlib.redirect_stderr(err):
            liftoff.report(4, {"loss": 0.125}, epochs=10, samples=200, seconds=0.5)
        self.assertEqual(err.getvalue(), "epoch 4/10 loss=0.125 400 samples/s\n")


class HyperparametersTest(unittest.TestCase):
    def test_spec_values_override_the_defaults(self) -> None:
        spec = '{"epochs": 5, "learningRate": 0.1, "optimizer": "sgd"}'
        with liftoff_env(LIFTOFF_TORCH_HYPERPARAMETERS=spec):
            hp = liftoff.hyperparameters(epochs=20, batchSize=32, learningRate=0.01)
        self.assertEqual(hp, {"epochs": 5, "batchSize": 32, "learningRate": 0.1, "optimizer": "sgd"})
        with liftoff_env():
            self.assertEqual(liftoff.hyperparameters(epochs=20), {"epochs": 20})

    def test_bad_json_is_named(self) -> None:
        with (
            liftoff_env(LIFTOFF_TORCH_HYPERPARAMETERS="{epochs: 5}"),
            self.assertRaisesRegex(ValueError, "LIFTOFF_TORCH_HYPERPARAMETERS is not valid JSON"),
        ):
            liftoff.hyperparameters()
        with liftoff_env(LIFTOFF_TORCH_HYPERPARAMETERS="[5]"), self.assertRaisesRegex(ValueError, "JSON object"):
            liftoff.hyperparameters()
