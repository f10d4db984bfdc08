"""The reference side of savedmodel.test.ts: writes a small seeded SavedModel with TensorFlow itself (two signatures,
int64 and bool inputs besides float32) and prints, as JSON, the inputs it was run on and what TensorFlow computed.
Run by the venv of hack/test-venv.sh (tensorflow-cpu).

  savedmodel_reference.py DIR    writes DIR (saved_model.pb + variables/) and prints {signature: {inputs, outputs}}
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class Model(tf.Module):
    """`serving_default`: an 8×8 one-channel image through a conv and a dense layer → logits and the top class.
    `by_id`: token ids (int64) looked up in an embedding table, masked (bool) and averaged → one vector per row, and
    the ids × 3 + 1 as int64."""

    def __init__(self):
        super().__init__()
        g = tf.random.Generator.from_seed(25)
        self.kernel = tf.Variable(g.normal([3, 3, 1, 4]), name="kernel")
        self.bias = tf.Variable(g.normal([4]) * 0.1, name="bias")
        self.dense = tf.Variable(g.normal([8 * 8 * 4, 3]) * 0.1, name="dense")
        self.table = tf.Variable(g.normal([16, 5]), name="table")

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 1], tf.float32, name="image")])
    def classify(self, image):
        h = tf.nn.relu(tf.nn.conv2d(image, self.kernel, strides=1, padding="SAME") + self.bias)
        logits = tf.matmul(tf.reshape(h, [-1, 8 * 8 * 4]), self.dense)
        return {"logits": logits, "label": tf.argmax(logits, axis=1, output_type=tf.int32)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 4], tf.int64, name="ids"),
            tf.TensorSpec([None, 4], tf.bool, name="mask"),
        ]
    )
    def by_id(self, ids, mask):
        # Any int64 is an id (floormod into the table), so negative and > 2^32 values test that int64 arrives exact;
        # `shifted` sends int64 back.
        e = tf.gather(self.table, tf.math.floormod(ids, 16))
        m = tf.cast(mask, tf.float32)[:, :, None]
        pooled = tf.reduce_sum(e * m, axis=1) / tf.maximum(tf.reduce_sum(m, axis=1), 1.0)
        return {"pooled": pooled, "shifted": ids * 3 + 1}


class AnyRank(tf.Module):
    """A third signature whose input has an unknown rank, which the runtime refuses at load."""

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name="x")])
    def double(self, x):
        return {"y": x * 2}


def listed(arrays):
    # Integers stay integers (int64 beyond 2^53 would not survive float64; these stay below it).
    def values(v):
        v = np.asarray(v)
        return v.astype(np.int64 if v.dtype.kind in "iub" else np.float64).ravel().tolist()

    return {k: {"shape": list(np.shape(v)), "dtype": str(np.asarray(v).dtype), "data": values(v)} for k, v in arrays.items()}


def main(folder):
    model = Model()
    model.any_rank = AnyRank()
    signatures = {"serving_default": model.classify, "by_id": model.by_id, "any_rank": model.any_rank.double}
    tf.saved_model.save(model, folder, signatures=signatures)
    rng = np.random.default_rng(25)
    image = {"image": rng.normal(size=(3, 8, 8, 1)).astype(np.float32)}
    ids = {
        "ids": np.array([[3, -7, 2**40 + 5, 15], [-(2**35) - 1, 0, 9, 4]], dtype=np.int64),
        "mask": np.array([[True, True, False, True], [False, True, True, True]]),
    }
    # What the written folder computes when TensorFlow loads it back, as TF Serving would.
    loaded = tf.saved_model.load(folder)
    out = {}
    for name, feed in (("serving_default", image), ("by_id", ids)):
        result = loaded.signatures[name](**{k: tf.constant(v) for k, v in feed.items()})
        out[name] = {"inputs": listed(feed), "outputs": listed({k: v.numpy() for k, v in result.items()})}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
