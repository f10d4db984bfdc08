"""bench:dp's peer: the MLP of bench/dp.ts trained with Opacus' DP-SGD on the same DataSet folder (train/ test/
Parquet + preprocessing.json) as Liftoff's `train`, to the same (ε, δ) with the same clipping norm, batch size,
epochs, optimizer and learning rate, Poisson sampling at 1/⌈N/B⌉ (Opacus' DPDataLoader, as Liftoff). Weights start
as Keras/TF.js initialise them (Glorot uniform, zero bias) so the two differ in their random draws only.

Usage: dp_opacus.py <dataset dir> <batch> <epochs> <learning rate> <seed> <hidden units,…> <clip> <target ε> <δ>
Prints one JSON line on stdout: the test accuracy, the noise multiplier Opacus chose and the ε its accountant spent.
"""

import glob
import json
import os
import sys
import warnings


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
    if y.dtype.kind not in "iuf":
        y = np.array([classes.index(v) for v in y])
    return x, y.astype(np.int64), len(classes)


def main():
    warnings.filterwarnings("ignore")
    import torch
    from opacus import PrivacyEngine

    data_dir, batch, epochs, lr, seed, hidden, clip, target, delta = sys.argv[1:10]
    batch, epochs, seed = int(batch), int(epochs), int(seed)
    lr, clip, target, delta = float(lr), float(clip), float(target), float(delta)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    (x, y, k), (xt, yt, _) = (load(data_dir, s) for s in ("train", "test"))
    x, y, xt, yt = (torch.from_numpy(a) for a in (x, y, xt, yt))
    layers, width = [], x.shape[1]
    for u in [int(u) for u in hidden.split(",")]:
        layers += [torch.nn.Linear(width, u), torch.nn.ReLU()]
        width = u
    layers.append(torch.nn.Linear(width, k))
    model = torch.nn.Sequential(*layers)
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True)
    engine = PrivacyEngine(accountant="rdp")
    model, optimizer, loader = engine.make_private_with_epsilon(
        module=model,
        optimizer=optimizer,
        data_loader=loader,
        target_epsilon=target,
        target_delta=delta,
        epochs=epochs,
        max_grad_norm=clip,
        poisson_sampling=True,
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(
        json.dumps(
            {"accuracy": acc, "noiseMultiplier": optimizer.noise_multiplier, "epsilon": engine.get_epsilon(delta)}
        )
    )


if __name__ == "__main__":
    main()
