# The reference for the embedding tests: all-MiniLM-L6-v2 as sentence-transformers computes it — the model's own
# tokenizer (HF `tokenizers`, its tokenizer.json), a float32 BERT forward pass in numpy over the original
# safetensors (not the GGUF llama.cpp serves), mean pooling, unit length. Independent of llama.cpp on every step.
# Usage: embedding_reference.py MODEL_DIR < ["text", ...] (JSON) → {"vectors": [[...], ...], "tokens": [n, ...]}
import json
import struct
import sys

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

src = sys.argv[1]
cfg = json.load(open(f"{src}/config.json"))
with open(f"{src}/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    hdr = json.loads(f.read(n))
    buf = f.read()


def W(key):
    h = hdr[key]
    a, b = h["data_offsets"]
    return np.frombuffer(buf[a:b], dtype=np.float32).reshape(h["shape"])


def layer_norm(x, p):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + cfg["layer_norm_eps"]) * W(f"{p}.weight") + W(f"{p}.bias")


def dense(x, p):
    return x @ W(f"{p}.weight").T + W(f"{p}.bias")


def embed(ids):
    heads = cfg["num_attention_heads"]
    x = W("embeddings.word_embeddings.weight")[ids] + W("embeddings.position_embeddings.weight")[: len(ids)]
    x = layer_norm(x + W("embeddings.token_type_embeddings.weight")[0], "embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        split = lambda t: t.reshape(len(ids), heads, -1).transpose(1, 0, 2)  # noqa: E731
        q, k, v = (split(dense(x, f"{p}.attention.self.{m}")) for m in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(len(ids), -1)
        x = layer_norm(x + dense(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        h = dense(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))  # exact GELU
        x = layer_norm(x + dense(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


tok = Tokenizer.from_file(f"{src}/tokenizer.json")
tok.no_truncation()
tok.no_padding()
texts = json.load(sys.stdin)
encoded = [tok.encode(t).ids for t in texts]
json.dump({"vectors": [embed(np.array(ids)).tolist() for ids in encoded], "tokens": [len(ids) for ids in encoded]}, sys.stdout)
