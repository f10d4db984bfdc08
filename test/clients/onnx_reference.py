"""The reference side of onnx-models.test.ts: the same real ONNX models run by onnxruntime's Python build on the
same inputs (built here, deterministically), printed as JSON. Run by the venv of hack/onnx-venv.sh.

  onnx_reference.py minilm MODEL.onnx TOKENIZER.json "sentence" "sentence" ...
  onnx_reference.py silero MODEL.onnx FRAMES
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def run(model, feeds):
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, feeds)
    return {n: {"shape": list(o.shape), "data": o.astype(np.float64).ravel().tolist()} for n, o in zip(names, outs)}


def minilm(model, tokenizer, sentences):
    # The model's own tokenizer (WordPiece, lower-case, [CLS] … [SEP]), padded to the longest sentence.
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(sentences)
    feeds = {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }
    inputs = {k: {"shape": list(v.shape), "data": v.ravel().tolist()} for k, v in feeds.items()}
    return {"inputs": inputs, "outputs": run(model, feeds)}


def silero(model, frames):
    # 16 kHz audio as the model takes it (silero_vad's sequence_vad.frame_blocks): 512-sample frames, each after the
    # previous frame's last 64 samples (zeros first). The clip: quiet noise, a voiced 180 Hz tone with harmonics, noise.
    rng = np.random.default_rng(25)
    n = frames * 512
    t = np.arange(n) / 16000.0
    voiced = (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t) + 0.25 * np.sin(2 * np.pi * 540 * t)) * 0.3
    envelope = ((t > n / 16000.0 / 3) & (t < 2 * n / 16000.0 / 3)).astype(np.float64)
    audio = (voiced * envelope + rng.normal(0, 0.003, n)).astype(np.float32)
    blocks = audio.reshape(frames, 512)
    context = np.concatenate([np.zeros((1, 64), np.float32), blocks[:-1, -64:]])
    x = np.concatenate([context, blocks], axis=1)
    feeds = {"input": x, "h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}
    inputs = {k: {"shape": list(v.shape), "data": v.astype(np.float64).ravel().tolist()} for k, v in feeds.items()}
    return {"inputs": inputs, "outputs": run(model, feeds)}


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "minilm":
        out = minilm(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        out = silero(sys.argv[2], int(sys.argv[3]))
    json.dump(out, sys.stdout)
