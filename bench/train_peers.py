"""bench:train peers: the MLP of bench/train.ts in Keras (tensorflow-cpu) or PyTorch (CPU), on one thread, trained
on the same DataSet folder (train/ validation/ test/ Parquet + preprocessing.json) as Liftoff's `train`.

Usage: train_peers.py keras|pytorch <dataset dir> <batch> <epochs> <learning rate> <seed> <hidden units,…>
       train_peers.py digits-csv <out.csv>   (scikit-learn's bundled 8×8 digits, with a header)

Prints one JSON line on stdout: the wall seconds of each epoch (its batches and its validation pass, as Liftoff's
train loop times them) and the test split's accuracy. One line per epoch on stderr while it runs.
"""

import glob
import json
import os
import sys
import time


def load(data_dir, split):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    pre = json.load(open(os.path.join(data_dir, "preprocessing.json")))
    files = sorted(glob.glob(os.path.join(data_dir, split, "*.parquet")))
    table = pa.concat_tables([pq.read_table(f) for f in files])
    x = np.stack([table.column(f).to_numpy().astype(np.float32) for f in pre["featureNames"]], axis=1)
    y = table.column(pre["target"]["column"]).to_numpy()
    classes = pre["target"].get("classes")
    if y.dtype.kind not in "iuf":  # a label stored as its class name
        y = np.array([classes.index(v) for v in y])
    return x, y.astype(np.int64), len(classes)


def log(framework, epoch, epochs, loss, val_acc, seconds):
    sys.stderr.write(f"{framework}: epoch {epoch}/{epochs} loss={loss:.4f} val_accuracy={val_acc:.4f} ({seconds:.3f} s)\n")


def keras_run(data_dir, batch, epochs, lr, seed, hidden):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.utils.set_random_seed(seed)
    (x, y, k), (xv, yv, _), (xt, yt, _) = (load(data_dir, s) for s in ("train", "validation", "test"))
    model = keras.Sequential(
        [keras.Input((x.shape[1],))] + [keras.layers.Dense(u, activation="relu") for u in hidden] + [keras.layers.Dense(k)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    durations = []

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            durations.append(time.perf_counter() - self.started)
            log("keras", epoch + 1, epochs, logs["loss"], logs["val_accuracy"], durations[-1])

    model.fit(x, y, batch_size=batch, epochs=epochs, validation_data=(xv, yv), shuffle=True, verbose=0, callbacks=[Progress()])
    _, acc = model.evaluate(xt, yt, batch_size=8192, verbose=0)
    return durations, float(acc)


def pytorch_run(data_dir, batch, epochs, lr, seed, hidden):
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(seed)
    (x, y, k), (xv, yv, _), (xt, yt, _) = (load(data_dir, s) for s in ("train", "validation", "test"))
    x, y, xv, yv, xt, yt = (torch.from_numpy(a) for a in (x, y, xv, yv, xt, yt))
    layers, width = [], x.shape[1]
    for u in hidden:
        layers += [torch.nn.Linear(width, u), torch.nn.ReLU()]
        width = u
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, k))
    # ε as Keras' and TensorFlow.js' Adam (PyTorch's default is 1e-8).
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    accuracy = lambda a, b: (model(a).argmax(1) == b).float().mean().item()  # noqa: E731
    durations = []
    for epoch in range(epochs):
        started = time.perf_counter()
        # The fastest idiomatic feed: index slices of tensors in memory (a DataLoader adds per-batch Python cost).
        order = torch.randperm(len(x))
        total = 0.0
        model.train()
        for i in range(0, len(x), batch):
            idx = order[i : i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        model.eval()
        with torch.no_grad():
            val_acc = accuracy(xv, yv)
        durations.append(time.perf_counter() - started)
        log("pytorch", epoch + 1, epochs, (total / len(x)).item(), val_acc, durations[-1])
    with torch.no_grad():
        acc = accuracy(xt, yt)
    return durations, acc


def digits_csv(out):
    from sklearn.datasets import load_digits

    d = load_digits()
    with open(out, "w") as f:
        f.write(",".join([f"px{i}" for i in range(64)] + ["digit"]) + "\n")
        for row, target in zip(d.data, d.target):
            f.write(",".join(str(int(v)) for v in row) + f",d{target}\n")


def main():
    if sys.argv[1] == "digits-csv":
        digits_csv(sys.argv[2])
        return
    framework, data_dir, batch, epochs, lr, seed, hidden = sys.argv[1:8]
    run = {"keras": keras_run, "pytorch": pytorch_run}[framework]
    durations, acc = run(data_dir, int(batch), int(epochs), float(lr), int(seed), [int(u) for u in hidden.split(",")])
    print(json.dumps({"epochSeconds": durations, "accuracy": acc}))


if __name__ == "__main__":
    main()
