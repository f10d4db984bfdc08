"""The DataSet pipeline in pandas and in polars, for bench:data (bench/data.ts).

read CSV -> dropna -> fillna (categoricals: "missing") -> standardise the numeric columns (mean, sample std of the
training split) -> one-hot the categorical columns (vocabulary of the training split) -> split 80/10/10 (seeded) ->
one Parquet file per split; with --encrypt, each file is then sealed with AES-256-GCM (cryptography) and the
plaintext removed, as prepare does. Usage: data_peers.py pandas|polars CSV OUT NUMERIC CATEGORICAL TARGET [--encrypt]
"""

import os
import sys

import numpy as np


def seal(path: str) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    with open(path, "rb") as f:
        data = f.read()
    with open(path + ".enc", "wb") as f:
        f.write(nonce + AESGCM(key).encrypt(nonce, data, None))
    os.remove(path)


def split_index(n: int, seed: int = 42):
    order = np.random.default_rng(seed).permutation(n)
    a, b = int(n * 0.8 + 0.5), int(n * 0.1 + 0.5)
    return order[:a], order[a : a + b], order[a + b :]


def run_pandas(csv, out, numeric, categorical, target, encrypt):
    import pandas as pd

    df = pd.read_csv(csv).dropna(subset=numeric + [target])
    df[categorical] = df[categorical].fillna("missing")
    tr, va, te = split_index(len(df))
    train = df.iloc[tr]
    mean, std = train[numeric].mean(), train[numeric].std(ddof=1)
    vocab = {c: sorted(train[c].astype(str).unique()) for c in categorical}

    def encode(part):
        x = (part[numeric] - mean) / std
        for c in categorical:
            col = part[c].astype(str)
            for v in vocab[c]:
                x[f"{c}={v}"] = (col == v).astype("float64")
        x[target] = part[target].values
        return x

    for name, idx in (("train", tr), ("validation", va), ("test", te)):
        path = os.path.join(out, f"{name}.parquet")
        encode(df.iloc[idx]).to_parquet(path, index=False)
        if encrypt:
            seal(path)


def run_polars(csv, out, numeric, categorical, target, encrypt):
    import polars as pl

    df = pl.read_csv(csv, null_values=["", "NA"], infer_schema_length=10000).drop_nulls(numeric + [target])
    df = df.with_columns([pl.col(c).cast(pl.Utf8).fill_null("missing") for c in categorical])
    tr, va, te = split_index(df.height)
    train = df[tr]
    stats = train.select([pl.col(c).mean().alias(c + "_m") for c in numeric] + [pl.col(c).std(ddof=1).alias(c + "_s") for c in numeric]).row(0, named=True)
    vocab = {c: sorted(train[c].unique().to_list()) for c in categorical}

    def encode(part):
        cols = [((pl.col(c) - stats[c + "_m"]) / stats[c + "_s"]).alias(c) for c in numeric]
        for c in categorical:
            cols += [(pl.col(c) == v).cast(pl.Float64).alias(f"{c}={v}") for v in vocab[c]]
        return part.select(cols + [pl.col(target)])

    for name, idx in (("train", tr), ("validation", va), ("test", te)):
        path = os.path.join(out, f"{name}.parquet")
        encode(df[idx]).write_parquet(path)
        if encrypt:
            seal(path)


if __name__ == "__main__":
    engine, csv, out, numeric, categorical, target = sys.argv[1:7]
    os.makedirs(out, exist_ok=True)
    fn = run_pandas if engine == "pandas" else run_polars
    fn(csv, out, numeric.split(","), categorical.split(","), target, "--encrypt" in sys.argv)
