"""The reference side of preprocess.test.ts: the runtime's declared audio and text preprocessing done by the
reference libraries on the same inputs (scipy's WAV reader and resample_poly, the model's own tokenizer with HF
`tokenizers`, onnxruntime's Python build), printed as JSON. Run by the venv of hack/onnx-venv.sh.

  preprocess_reference.py clip OUT.wav RATE CHANNELS SECONDS     the deterministic speech-like clip as 16-bit PCM
  preprocess_reference.py wav FILE.wav                           decoded: mono float64 in [-1, 1]
  preprocess_reference.py resample IN.f64 FROM TO                raw little-endian float64 samples resampled
  preprocess_reference.py silero MODEL.onnx FILE.wav             WAV -> 16 kHz -> frames -> Silero VAD sequence
  preprocess_reference.py tokenize TOKENIZER.json MAX TRUNCATE TEXTS.json          ids, masks, type ids
  preprocess_reference.py minilm MODEL.onnx TOKENIZER.json MAX TEXTS.json          the same, through MiniLM
"""
import json
import sys

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly


def tensor(a):
    return {"shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}


def clip(out, rate, channels, seconds):
    # onnx_reference.py's clip (quiet noise, a voiced 180 Hz tone with harmonics, noise), at a recording's rate and
    # channels; the second channel is the same voice a little quieter over its own noise.
    rng = np.random.default_rng(25)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    voiced = (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t) + 0.25 * np.sin(2 * np.pi * 540 * t)) * 0.3
    envelope = ((t > seconds / 3) & (t < 2 * seconds / 3)).astype(np.float64)
    chans = [voiced * envelope * (1 - 0.2 * c) + rng.normal(0, 0.003, n) for c in range(channels)]
    pcm = np.round(np.clip(np.stack(chans, axis=1), -1, 32767 / 32768) * 32768).astype(np.int16)
    wavfile.write(out, rate, pcm if channels > 1 else pcm[:, 0])
    return {"frames": n}


def decode(path):
    # scipy reads the bytes; the scaling to [-1, 1] is the runtime's documented one (full range of the integer
    # type; 24-bit comes left-justified in int32 from scipy), floats clipped; channels averaged.
    rate, a = wavfile.read(path)
    if a.dtype == np.uint8:
        x = (a.astype(np.float64) - 128) / 128
    elif a.dtype == np.int16:
        x = a / 32768.0
    elif a.dtype == np.int32:
        x = a / 2147483648.0
    else:
        x = np.clip(a.astype(np.float64), -1, 1)
    if x.ndim == 2:
        x = x.mean(axis=1)
    return rate, x


def frames(audio, frame, context):
    # silero_vad's sequence_vad.frame_blocks: the last frame zero-padded, each frame after the previous one's last
    # `context` samples (zeros first).
    count = (audio.size + frame - 1) // frame
    blocks = np.zeros((count, frame), np.float32)
    blocks.reshape(-1)[: audio.size] = audio
    ctx = np.concatenate([np.zeros((1, context), np.float32), blocks[:-1, -context:]])
    return np.concatenate([ctx, blocks], axis=1)


def run(model, feeds):
    import onnxruntime as ort

    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return {n: tensor(o) for n, o in zip(names, sess.run(names, feeds))}


def silero(model, path):
    rate, x = decode(path)
    audio = resample_poly(x, 16000, rate).astype(np.float32)
    feeds = {"input": frames(audio, 512, 64), "h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}
    return {"inputs": {k: tensor(v) for k, v in feeds.items()}, "outputs": run(model, feeds)}


def encode(tokenizer, max_length, truncate, texts):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer)
    # The file's own padding (fixed 128) and truncation are the Python library's; the runtime pads to the longest
    # text and truncates only when the spec says so.
    tok.no_padding()
    tok.no_truncation()
    if truncate:
        tok.enable_truncation(max_length)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "clip":
        out = clip(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif kind == "wav":
        rate, x = decode(args[0])
        out = {"rate": int(rate), "samples": x.tolist()}
    elif kind == "resample":
        x = np.fromfile(args[0], dtype="<f8")
        out = {"samples": resample_poly(x, int(args[2]), int(args[1])).tolist()}
    elif kind == "silero":
        out = silero(args[0], args[1])
    elif kind == "tokenize":
        with open(args[3]) as f:
            feeds = encode(args[0], int(args[1]), args[2] == "true", json.load(f))
        out = {k: v.tolist() for k, v in feeds.items()}
    else:
        with open(args[3]) as f:
            feeds = encode(args[1], int(args[2]), False, json.load(f))
        out = {"inputs": {k: tensor(v) for k, v in feeds.items()}, "outputs": run(args[0], feeds)}
    json.dump(out, sys.stdout)
