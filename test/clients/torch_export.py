"""The PyTorch side of torch-onnx.test.ts: builds a small seeded conv net, exports it with torch.onnx.export (a
dynamic batch axis), runs torch itself on seeded inputs of another batch size, and prints the inputs and torch's
outputs as JSON. Run by the venv of hack/torch-venv.sh.

  torch_export.py OUT.onnx BATCH [--external-data]

--external-data exports as torch.onnx.export does by default: the weights in a side file, OUT.onnx.data.
"""
import json
import contextlib
import sys

import torch
from torch import nn


class Net(nn.Module):
    """Conv, batch norm (eval: running statistics), ReLU, a strided conv, global pooling, a linear head; two outputs."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(16, 10)

    def forward(self, image):
        logits = self.head(self.features(image))
        return logits, torch.softmax(logits, dim=1)


def build():
    torch.manual_seed(25)
    net = Net()
    # Non-trivial running statistics, so batch norm is not the identity it is at initialisation.
    bn = net.features[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    return net.eval()


def main(out, batch, external_data):
    net = build()
    # Exported with a batch of 2, run with another: the batch axis must stay symbolic in the file.
    example = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    # The exporter reports progress on stdout; stdout carries only this script's result.
    with contextlib.redirect_stdout(sys.stderr):
        torch.onnx.export(
            net,
            (example,),
            out,
            input_names=["image"],
            output_names=["logits", "probs"],
            dynamic_shapes={"image": {0: torch.export.Dim("batch")}},
            # One self-contained file unless asked (the exporter's default puts the weights in OUT.onnx.data).
            external_data=external_data,
        )
    x = torch.randn(batch, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        logits, probs = net(x)

    def named(t):
        return {"shape": list(t.shape), "data": t.double().ravel().tolist()}

    json.dump(
        {
            "torch": torch.__version__,
            "inputs": {"image": named(x)},
            "outputs": {"logits": named(logits), "probs": named(probs)},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), "--external-data" in sys.argv[3:])
