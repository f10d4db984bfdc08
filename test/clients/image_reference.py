"""The Python reference of image-model.test.ts: each picture prepared as EfficientNet-Lite0 takes it (Pillow:
centre crop to a square, bilinear resize to 224, RGB, (x - 127) / 128, NCHW) and run by onnxruntime's Python build.
Prints the input batch and the logits as JSON. Run by the venv of hack/torch-venv.sh (Pillow, onnxruntime).

  image_reference.py MODEL.onnx PICTURE...
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def prepare(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((224, 224), Image.BILINEAR)
    x = (np.asarray(img, dtype=np.float32) - 127.0) / 128.0
    return x.transpose(2, 0, 1)


def main(model, pictures):
    batch = np.stack([prepare(p) for p in pictures]).astype(np.float32)
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    (logits,) = sess.run(["logits"], {"input": batch})
    json.dump(
        {
            "inputs": {"input": {"shape": list(batch.shape), "data": batch.astype(np.float64).ravel().tolist()}},
            "outputs": {"logits": {"shape": list(logits.shape), "data": logits.astype(np.float64).ravel().tolist()}},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
