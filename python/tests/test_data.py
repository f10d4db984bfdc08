"""liftoff.dataset on a real penguins version written by `prepare`: shapes, features, labels, shards and errors."""

from __future__ import annotations

import csv
import json
import os
import shutil
import unittest
from collections import Counter

import liftoff
import torch

from tests.support import ROOT, liftoff_env, penguins, penguins_regression, scratch


def csv_rows() -> list[dict[str, str]]:
    """examples/penguins.csv's complete rows (the DataSet drops the incomplete ones)."""
    with open(os.path.join(ROOT, "examples", "penguins.csv"), encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if all(v not in ("", "NA") for v in r.values())]


def csv_species() -> Counter:
    return Counter(r["species"] for r in csv_rows())


class DatasetTest(unittest.TestCase):
    def setUp(self) -> None:
        with liftoff_env():
            self.ds = liftoff.dataset(penguins())

    def test_splits_have_the_rows_stats_json_counts(self) -> None:
        rows = self.ds.stats["rows"]
        for name in ("train", "validation", "test"):
            split = self.ds.split(name)
            self.assertEqual(len(split), rows[name], name)
            self.assertEqual(tuple(split.x.shape), (rows[name], 9))
            self.assertEqual(split.x.dtype, torch.float32)
            self.assertEqual(split.y.dtype, torch.int64)

    def test_features_are_the_preprocessing_feature_names_in_order(self) -> None:
        self.assertEqual(self.ds.feature_names, self.ds.preprocessing["featureNames"])
        self.assertEqual(self.ds.task, "multiclass")
        self.assertEqual(self.ds.target, "species")
        # Standardised on the training split: mean 0, sample std 1 there; one-hot groups sum to 1 on each row.
        bill = self.ds.feature_names.index("bill_length_mm")
        self.assertAlmostEqual(float(self.ds.train.x[:, bill].mean()), 0.0, places=5)
        self.assertAlmostEqual(float(self.ds.train.x[:, bill].std()), 1.0, places=4)
        islands = [i for i, n in enumerate(self.ds.feature_names) if n.startswith("island=")]
        self.assertEqual(len(islands), 3)
        self.assertTrue(torch.equal(self.ds.train.x[:, islands].sum(1), torch.ones(len(self.ds.train))))

    def test_labels_index_the_classes_as_the_csv_has_them(self) -> None:
        self.assertEqual(self.ds.classes, ["Adelie", "Chinstrap", "Gentoo"])
        got = Counter()
        for name in ("train", "validation", "test"):
            got.update(self.ds.classes[i] for i in self.ds.split(name).y.tolist())
        self.assertEqual(got, csv_species())

    def test_the_env_names_the_folder(self) -> None:
        with liftoff_env(LIFTOFF_TORCH_DATA_DIR=penguins()):
            self.assertTrue(torch.equal(liftoff.dataset().test.x, self.ds.test.x))

    def test_shards_cover_every_row_with_equal_sizes(self) -> None:
        train = self.ds.train
        for epoch in (None, 3):
            shards = [train.shard(r, 2, epoch=epoch, seed=7) for r in range(2)]
            self.assertEqual([len(s) for s in shards], [117, 117])  # 233 rows: one repeated to even the ranks
            rows = {tuple(r) for s in shards for r in s.x.tolist()}
            self.assertEqual(rows, {tuple(r) for r in train.x.tolist()})
        # Same epoch and seed: the same rows on every call (every rank computes it alone); another epoch: another order.
        a, b = train.shard(0, 2, epoch=1, seed=7), train.shard(0, 2, epoch=1, seed=7)
        self.assertTrue(torch.equal(a.x, b.x))
        self.assertFalse(torch.equal(a.x, train.shard(0, 2, epoch=2, seed=7).x))
        with liftoff_env():
            self.assertEqual(len(train.shard()), len(train))  # a world of 1 by hand
        with self.assertRaisesRegex(ValueError, "rank must be in 0..world-1"):
            train.shard(2, 2)


class RegressionTest(unittest.TestCase):
    def test_a_regression_target_is_float32_as_stored(self) -> None:
        ds = liftoff.dataset(penguins_regression())
        self.assertEqual(ds.task, "regression")
        self.assertIsNone(ds.classes)
        # island, species and sex one-hot (3 + 3 + 2), and the three other measurements
        self.assertEqual(len(ds.feature_names), 11)
        got = []
        for name in ("train", "validation", "test"):
            split = ds.split(name)
            self.assertEqual(split.y.dtype, torch.float32)
            got += split.y.tolist()
        self.assertEqual(sorted(got), sorted(float(r["body_mass_g"]) for r in csv_rows()))


class DatasetErrorsTest(unittest.TestCase):
    def copy(self) -> str:
        folder = os.path.join(scratch(), "version")
        shutil.copytree(penguins(), folder)
        return folder

    def test_no_folder_says_what_to_set(self) -> None:
        with liftoff_env(), self.assertRaisesRegex(ValueError, "LIFTOFF_TORCH_DATA_DIR"):
            liftoff.dataset()
        with self.assertRaisesRegex(ValueError, "does not exist"):
            liftoff.dataset("/nonexistent/version")

    def test_unknown_split_lists_the_known_ones(self) -> None:
        with self.assertRaisesRegex(ValueError, "train, validation, test"):
            liftoff.dataset(penguins()).split("holdout")

    def test_missing_feature_column_is_named(self) -> None:
        folder = self.copy()
        path = os.path.join(folder, "preprocessing.json")
        with open(path, encoding="utf-8") as f:
            pre = json.load(f)
        pre["featureNames"].append("beak_colour")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(pre, f)
        with self.assertRaisesRegex(ValueError, "no column beak_colour"):
            liftoff.dataset(folder)

    def test_unknown_format_version_is_refused(self) -> None:
        folder = self.copy()
        path = os.path.join(folder, "stats.json")
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
        stats["formatVersion"] = 2
        with open(path, "w", encoding="utf-8") as f:
            json.dump(stats, f)
        with self.assertRaisesRegex(ValueError, "formatVersion 2"):
            liftoff.dataset(folder)

    def test_missing_split_folder_is_named(self) -> None:
        folder = self.copy()
        shutil.rmtree(os.path.join(folder, "validation"))
        with self.assertRaisesRegex(ValueError, "validation is missing"):
            liftoff.dataset(folder)
