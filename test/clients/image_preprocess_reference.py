"""The Python reference of image-preprocess.test.ts: each picture prepared by Pillow and numpy exactly as
spec.model.preprocessing.image defines it (docs/modeldeployment.md), and top-k by numpy. Run by the venv of
hack/onnx-venv.sh (Pillow 13, numpy). Writes raw little-endian arrays into OUT:

  image_preprocess_reference.py OUT CASES.json LOGITS.f32 ROWS CLASSES K

CASES.json: [{"name", "picture", "spec"}]; per case OUT/<name>.decoded.u8 (the whole picture, RGB) and
OUT/<name>.tensor.f32 (the model input). LOGITS.f32: ROWS × CLASSES float32; OUT/topk.json: per row the k strings
"score:index:label" of softmax(logits) (labels "label-<i>").
"""
import json
import os
import sys

import numpy as np
from PIL import Image

FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}


def prepare(path, s):
    img = Image.open(path).convert("RGB")
    decoded = np.asarray(img, dtype=np.uint8)
    w, h = img.size
    width, height = s["width"], s["height"]
    f = FILTERS[s["resize"]]
    if s["crop"] == "center" and "resizeShorterTo" in s:
        # torchvision Resize(int) + CenterCrop.
        size = s["resizeShorterTo"]
        if w <= h:
            nw, nh = size, int(size * h / w)
        else:
            nw, nh = int(size * w / h), size
        img = img.resize((nw, nh), f)
        left, top = int(round((nw - width) / 2.0)), int(round((nh - height) / 2.0))
        img = img.crop((left, top, left + width, top + height))
    elif s["crop"] == "center":
        cw = min(w, h * width // height)
        ch = min(h, w * height // width)
        left, top = (w - cw) // 2, (h - ch) // 2
        img = img.crop((left, top, left + cw, top + ch)).resize((width, height), f)
    else:
        img = img.resize((width, height), f)
    x = np.asarray(img, dtype=np.float32)
    if s["channels"] == "BGR":
        x = x[:, :, ::-1]
    normalised = "mean" in s or "std" in s
    scale = s.get("scale", 1 / 255 if normalised else 1)
    mean = np.array(s.get("mean", [0, 0, 0]), dtype=np.float64)
    std = np.array(s.get("std", [1, 1, 1]), dtype=np.float64)
    x = ((x.astype(np.float64) * scale - mean) / std).astype(np.float32)
    if s["layout"] == "NCHW":
        x = x.transpose(2, 0, 1)
    return decoded, np.ascontiguousarray(x)


def main(out, cases_file, logits_file, rows, classes, k):
    with open(cases_file) as fh:
        cases = json.load(fh)
    for c in cases:
        decoded, tensor = prepare(c["picture"], c["spec"])
        decoded.tofile(os.path.join(out, c["name"] + ".decoded.u8"))
        tensor.astype("<f4").tofile(os.path.join(out, c["name"] + ".tensor.f32"))
    logits = np.fromfile(logits_file, dtype="<f4").reshape(rows, classes).astype(np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    top = []
    for r in range(rows):
        # Highest first, ties by the lower index (a stable sort of the negated scores).
        idx = np.argsort(-p[r], kind="stable")[:k]
        top.append(["%f:%d:label-%d" % (p[r, i], i, i) for i in idx])
    with open(os.path.join(out, "topk.json"), "w") as fh:
        json.dump(top, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
