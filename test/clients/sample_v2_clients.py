"""Sends raw items — files as they are on disk, or UTF-8 texts — as one BYTES input to a Liftoff model with declared
preprocessing (e.g. config/samples/liftoff_v1alpha1_modeldeployment_speech.yaml or ..._text.yaml) through tritonclient
HTTP (binary BYTES) and gRPC, used as its docs show, and prints one JSON object on stdout:
{"triton-http": {"shape": [...], "data": [...]}, "triton-grpc": {...}} — the named FP32 output from each.

usage: sample_v2_clients.py <http host:port> <grpc host:port> <model> <input> <output> (--texts JSON | FILE...)
Run by the clients venv (hack/test-venv.sh: tritonclient, numpy).
"""

import json
import sys

import numpy as np


def items(args):
    if args[0] == "--texts":
        return [t.encode() for t in json.loads(args[1])]
    out = []
    for p in args:
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def tensor(arr):
    return {"shape": list(arr.shape), "data": arr.astype(np.float64).reshape(-1).tolist()}


def triton_http(addr, model, input_name, output_name, blobs):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=addr)
    i = httpclient.InferInput(input_name, [len(blobs)], "BYTES")
    i.set_data_from_numpy(np.array(blobs, dtype=np.object_))  # binary_data=True: the items as raw BYTES
    result = client.infer(model, [i], outputs=[httpclient.InferRequestedOutput(output_name, binary_data=True)])
    return tensor(result.as_numpy(output_name))


def triton_grpc(addr, model, input_name, output_name, blobs):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=addr)
    i = grpcclient.InferInput(input_name, [len(blobs)], "BYTES")
    i.set_data_from_numpy(np.array(blobs, dtype=np.object_))
    result = client.infer(model, [i], outputs=[grpcclient.InferRequestedOutput(output_name)])
    return tensor(result.as_numpy(output_name))


if __name__ == "__main__":
    http_addr, grpc_addr, model, input_name, output_name = sys.argv[1:6]
    blobs = items(sys.argv[6:])
    print(
        json.dumps(
            {
                "triton-http": triton_http(http_addr, model, input_name, output_name, blobs),
                "triton-grpc": triton_grpc(grpc_addr, model, input_name, output_name, blobs),
            }
        )
    )
