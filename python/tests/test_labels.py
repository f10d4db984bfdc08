"""Labels stored as the class label itself, or as an integer-looking string, map to the same class indices as the
stored index does (preprocessing.json target.classes, as runtime/src/train/data.ts splitQuery maps them)."""

from __future__ import annotations

import glob
import os
import shutil
import unittest

import liftoff
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from liftoff.labels import class_indices

from tests.support import penguins, scratch


def rewrite_target(folder: str, convert, kind: pa.DataType | None = None) -> None:
    """Replace the species column of every split's Parquet file by convert(index), a column of type `kind`."""
    for file in glob.glob(os.path.join(folder, "*", "*.parquet")):
        table = pq.read_table(file)
        at = table.schema.get_field_index("species")
        values = pa.array([convert(v) for v in table.column("species").to_pylist()], kind or pa.string())
        pq.write_table(table.set_column(at, "species", values), file)


class LabelsTest(unittest.TestCase):
    def version(self, convert, kind: pa.DataType | None = None) -> liftoff.Dataset:
        folder = os.path.join(scratch(), "version")
        shutil.copytree(penguins(), folder)
        rewrite_target(folder, convert, kind)
        return liftoff.dataset(folder)

    def test_stored_class_labels_map_through_classes(self) -> None:
        want = liftoff.dataset(penguins())
        got = self.version(lambda i: want.classes[i])
        for name in ("train", "validation", "test"):
            self.assertTrue(torch.equal(got.split(name).y, want.split(name).y), name)
            self.assertTrue(torch.equal(got.split(name).x, want.split(name).x), name)

    def test_integer_strings_are_indices(self) -> None:
        want = liftoff.dataset(penguins())
        got = self.version(str)
        self.assertTrue(torch.equal(got.train.y, want.train.y))

    def test_an_unknown_label_is_named_with_the_known_ones(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown class 'Emperor' \(known: Adelie, Chinstrap, Gentoo\)"):
            self.version(lambda i: "Emperor" if i == 2 else "Adelie")

    def test_a_stored_index_out_of_range_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, r"target species holds the class index 3, outside 0..2"):
            self.version(lambda i: 3 if i == 2 else i, pa.int64())
        with self.assertRaisesRegex(ValueError, "target species has a missing value"):
            self.version(lambda i: None if i == 1 else i, pa.int64())

    def test_out_of_range_and_missing_values_are_errors(self) -> None:
        classes = ["a", "b"]
        self.assertEqual(class_indices([1, "0", "b", 1.0, " 1"], classes, "t"), [1, 0, 1, 1, 1])
        with self.assertRaisesRegex(ValueError, "class index 2, outside 0..1"):
            class_indices([2], classes, "t")
        with self.assertRaisesRegex(ValueError, "class index -1"):
            class_indices(["-1"], classes, "t")
        with self.assertRaisesRegex(ValueError, "missing value"):
            class_indices([None], classes, "t")
        with self.assertRaisesRegex(ValueError, "neither a class index nor a class label"):
            class_indices([0.5], classes, "t")
