# all-MiniLM-L6-v2 (sentence-transformers, BERT) from its safetensors, config.json and tokenizer.json to a GGUF
# that llama.cpp serves as an embedding model: arch `bert`, 2-D weights F16, mean pooling, non-causal attention,
# the WordPiece vocabulary in llama.cpp's convention. Needs numpy and PyPI `gguf` only (no torch); the output is
# byte-for-byte deterministic (hack/fetch-models.sh pins its sha256). Usage: minilm_gguf.py MODEL_DIR OUT.gguf
# (from hack/models/candidates.md, Script 3, which checked it against a numpy BERT forward: cosine 1.00000).
import json
import struct
import sys

import gguf
import numpy as np

src, out = sys.argv[1], sys.argv[2]
cfg = json.load(open(f"{src}/config.json"))
with open(f"{src}/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    hdr = json.loads(f.read(n))
    buf = f.read()
DT = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def tensor(key):
    h = hdr[key]
    a, b = h["data_offsets"]
    return np.frombuffer(buf[a:b], dtype=DT[h["dtype"]]).reshape(h["shape"])


layers = cfg["num_hidden_layers"]
w = gguf.GGUFWriter(out, "bert")
w.add_name("all-MiniLM-L6-v2")
w.add_context_length(cfg["max_position_embeddings"])
w.add_embedding_length(cfg["hidden_size"])
w.add_feed_forward_length(cfg["intermediate_size"])
w.add_block_count(layers)
w.add_head_count(cfg["num_attention_heads"])
w.add_layer_norm_eps(cfg["layer_norm_eps"])
# What makes llama.cpp (and Liftoff's runtime) treat it as an embedding model.
w.add_causal_attention(False)
w.add_pooling_type(gguf.PoolingType.MEAN)
w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

tok = json.load(open(f"{src}/tokenizer.json"))
vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
assert [i for _, i in vocab] == list(range(len(vocab)))


def phantom(t):
    # llama.cpp's WPM vocabulary (convert_hf_to_gguf.py BertModel.set_vocab): "##x" -> "x", a word start gets "▁".
    if t.startswith("[") and t.endswith("]"):
        return t
    return t[2:] if t.startswith("##") else "\u2581" + t


special = {t["content"]: t["id"] for t in tok["added_tokens"]}
types = [
    gguf.TokenType.UNKNOWN
    if t == "[UNK]"
    else gguf.TokenType.CONTROL
    if t in special
    else gguf.TokenType.NORMAL
    for t, _ in vocab
]
w.add_tokenizer_model("bert")
w.add_tokenizer_pre("default")
w.add_token_list([phantom(t) for t, _ in vocab])
w.add_token_types(types)
w.add_token_type_count(cfg["type_vocab_size"])
gguf.SpecialVocab(src, n_vocab=len(vocab)).add_to_gguf(w)

names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, layers)
for k in hdr:
    if k == "__metadata__" or k.endswith("position_ids") or k.startswith("pooler."):
        continue
    name = names.get_name(k, try_suffixes=(".weight", ".bias"))
    assert name, k
    a = tensor(k).astype(np.float32)
    if a.ndim == 2 and not name.startswith("token_types"):
        a = a.astype(np.float16)
    w.add_tensor(name, a)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
