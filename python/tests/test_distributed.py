"""Two processes on localhost, gloo, DistributedDataParallel over liftoff's shards: the ranks exchange gradients
(each applies the mean of both local gradients) and end with identical weights; only rank 0 writes files."""

from __future__ import annotations

import os
import unittest

import torch
import torch.multiprocessing as mp

from tests import ddp_worker
from tests.support import free_port, liftoff_env, penguins, read_events, scratch


class TwoProcessGlooTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        work = scratch()
        cls.env = {
            "LIFTOFF_TORCH_EVENTS": os.path.join(work, "events.jsonl"),
            "LIFTOFF_TORCH_CHECKPOINT_DIR": os.path.join(work, "checkpoints"),
            "LIFTOFF_TORCH_EXPORT_DIR": os.path.join(work, "export"),
        }
        with liftoff_env():
            mp.spawn(ddp_worker.run, args=(2, free_port(), penguins(), cls.env, work), nprocs=2, join=True)
        cls.ranks = [torch.load(os.path.join(work, f"rank{r}.pt")) for r in range(2)]

    def test_both_ranks_joined_one_gloo_group(self) -> None:
        self.assertEqual([(r["backend"], r["rank"], r["world"]) for r in self.ranks], [("gloo", 0, 2), ("gloo", 1, 2)])

    def test_gradients_are_exchanged(self) -> None:
        zero, one = self.ranks
        # Different shards: different local gradients; DDP gives both ranks their mean.
        self.assertFalse(all(torch.allclose(a, b) for a, b in zip(zero["alone"], one["alone"], strict=True)))
        for a, b, e0, e1 in zip(zero["alone"], one["alone"], zero["exchanged"], one["exchanged"], strict=True):
            torch.testing.assert_close(e0, (a + b) / 2)
            torch.testing.assert_close(e1, e0, rtol=0, atol=0)

    def test_both_ranks_end_with_identical_weights(self) -> None:
        for w0, w1 in zip(self.ranks[0]["weights"], self.ranks[1]["weights"], strict=True):
            self.assertTrue(torch.equal(w0, w1))
        torch.manual_seed(11)
        self.assertFalse(torch.equal(self.ranks[0]["weights"][0], ddp_worker.model()[0].weight), "it trained")

    def test_rank_0_alone_wrote_the_events_checkpoint_and_export(self) -> None:
        events = read_events(self.env["LIFTOFF_TORCH_EVENTS"])
        self.assertEqual([e["type"] for e in events], ["progress", "checkpoint", "export"])
        self.assertEqual(events[0]["samples"], 234)  # 117 rows on each rank
        self.assertEqual(os.listdir(self.env["LIFTOFF_TORCH_CHECKPOINT_DIR"]), ["epoch-000001.pt"])
        self.assertEqual(os.listdir(self.env["LIFTOFF_TORCH_EXPORT_DIR"]), ["model.onnx"])


class RestoreAgreesTest(unittest.TestCase):
    def restored(self, rank1_epochs: list[int]) -> list[tuple[int, str]]:
        """(epoch, folder) of what restore() gave each rank: rank 0's folder holds epochs 4 and 5, rank 1's the
        given ones (each file saying which folder it is in)."""
        work = scratch()
        folders = [os.path.join(work, "zero"), os.path.join(work, "one")]
        for folder, epochs in zip(folders, [[4, 5], rank1_epochs], strict=True):
            os.makedirs(folder)
            for epoch in epochs:
                state = {"epoch": epoch, "folder": os.path.basename(folder)}
                torch.save(state, os.path.join(folder, f"epoch-{epoch:06d}.pt"))
        with liftoff_env():
            mp.spawn(ddp_worker.restore_run, args=(2, free_port(), folders, work), nprocs=2, join=True)
        states = [torch.load(os.path.join(work, f"restore{r}.pt")) for r in range(2)]
        return [(s["epoch"], s["folder"]) for s in states]

    def test_a_rank_with_an_older_or_no_checkpoint_gets_rank_0s(self) -> None:
        self.assertEqual(self.restored([3]), [(5, "zero"), (5, "zero")])
        self.assertEqual(self.restored([]), [(5, "zero"), (5, "zero")])

    def test_ranks_that_read_the_same_file_keep_their_own(self) -> None:
        # Nothing sent: rank 1 keeps the copy it read from its own folder.
        self.assertEqual(self.restored([4, 5]), [(5, "zero"), (5, "one")])
