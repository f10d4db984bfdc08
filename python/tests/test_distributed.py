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
        self.assertFalse(all(torch.allclose(a, b) for a, b in zip(zero["alone"], one["alone"])))
        for a, b, e0, e1 in zip(zero["alone"], one["alone"], zero["exchanged"], one["exchanged"]):
            torch.testing.assert_close(e0, (a + b) / 2)
            torch.testing.assert_close(e1, e0, rtol=0, atol=0)

    def test_both_ranks_end_with_identical_weights(self) -> None:
        for w0, w1 in zip(self.ranks[0]["weights"], self.ranks[1]["weights"]):
            self.assertTrue(torch.equal(w0, w1))
        torch.manual_seed(11)
        self.assertFalse(torch.equal(self.ranks[0]["weights"][0], ddp_worker.model()[0].weight), "it trained")

    def test_rank_0_alone_wrote_the_events_checkpoint_and_export(self) -> None:
        events = read_events(self.env["LIFTOFF_TORCH_EVENTS"])
        self.assertEqual([e["type"] for e in events], ["progress", "checkpoint", "export"])
        self.assertEqual(events[0]["samples"], 234)  # 117 rows on each rank
        self.assertEqual(os.listdir(self.env["LIFTOFF_TORCH_CHECKPOINT_DIR"]), ["epoch-000001.pt"])
        self.assertEqual(os.listdir(self.env["LIFTOFF_TORCH_EXPORT_DIR"]), ["model.onnx"])
