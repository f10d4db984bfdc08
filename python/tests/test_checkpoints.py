"""liftoff.checkpoint / liftoff.restore: whole files under epoch-%06d.pt, the 3 newest kept, a torn file skipped."""

from __future__ import annotations

import os
import unittest

import liftoff
import torch

from tests.support import liftoff_env, read_events, scratch


def state(epoch: int) -> dict:
    torch.manual_seed(epoch)
    model = torch.nn.Linear(4, 2)
    return {"model": model.state_dict(), "epoch": epoch}


class CheckpointTest(unittest.TestCase):
    def setUp(self) -> None:
        work = scratch()
        self.dir = os.path.join(work, "checkpoints")
        self.events = os.path.join(work, "events.jsonl")
        self.env = {"LIFTOFF_TORCH_CHECKPOINT_DIR": self.dir, "LIFTOFF_TORCH_EVENTS": self.events}

    def test_keeps_the_three_newest_and_reports_each(self) -> None:
        with liftoff_env(**self.env):
            self.assertIsNone(liftoff.restore())
            for epoch in range(1, 6):
                path = liftoff.checkpoint(epoch, state(epoch))
                self.assertEqual(path, os.path.join(self.dir, f"epoch-{epoch:06d}.pt"))
            restored = liftoff.restore()
        self.assertEqual(sorted(os.listdir(self.dir)), ["epoch-000003.pt", "epoch-000004.pt", "epoch-000005.pt"])
        self.assertEqual(
            read_events(self.events),
            [{"type": "checkpoint", "name": f"epoch-{e:06d}.pt", "epoch": e} for e in range(1, 6)],
        )
        self.assertEqual(restored["epoch"], 5)
        self.assertTrue(torch.equal(restored["model"]["weight"], state(5)["model"]["weight"]))

    def test_a_torn_newest_file_is_skipped_with_a_warning(self) -> None:
        with liftoff_env(**self.env):
            liftoff.checkpoint(7, state(7))
            liftoff.checkpoint(8, state(8))
            newest = os.path.join(self.dir, "epoch-000008.pt")
            with open(newest, "rb") as f:
                whole = f.read()
            with open(newest, "wb") as f:
                f.write(whole[: len(whole) // 2])
            with self.assertWarnsRegex(UserWarning, "skipping the checkpoint .*epoch-000008.pt"):
                restored = liftoff.restore()
        self.assertEqual(restored["epoch"], 7)

    def test_other_ranks_write_nothing(self) -> None:
        with liftoff_env(**self.env, RANK="1", WORLD_SIZE="2"):
            self.assertIsNone(liftoff.checkpoint(1, state(1)))
        self.assertFalse(os.path.exists(self.dir))
        self.assertFalse(os.path.exists(self.events))

    def test_objects_weights_only_refuses_say_what_to_do(self) -> None:
        with liftoff_env(**self.env):
            liftoff.checkpoint(1, {"when": Unpicklable()})
            with self.assertRaisesRegex(RuntimeError, r"restore\(weights_only=False\)"):
                liftoff.restore()
            self.assertIsInstance(liftoff.restore(weights_only=False)["when"], Unpicklable)

    def test_by_hand_the_folder_is_checkpoints(self) -> None:
        cwd = os.getcwd()
        os.chdir(scratch())
        try:
            with liftoff_env():
                liftoff.checkpoint(2, state(2))
                self.assertEqual(os.listdir("checkpoints"), ["epoch-000002.pt"])
                self.assertEqual(liftoff.restore()["epoch"], 2)
        finally:
            os.chdir(cwd)


class Unpicklable:
    """A class torch.load's weights_only mode does not allow."""
