"""Sends picture files, as they are on disk, to a Liftoff image model (declared image preprocessing and top-k, e.g.
config/samples/liftoff_v1alpha1_modeldeployment_image.yaml) through an official client used as its docs show, and
prints one JSON object on stdout: {"top": [[<"score:index:label">, ...] per picture]} — the BYTES output, decoded.

usage: image_sample_clients.py <tfserving-grpc|triton-http|triton-grpc> <host:port> <model> <input> <output> PICTURE...
Run by the clients venv (hack/test-venv.sh: tensorflow-serving-api, tritonclient, numpy).
"""

import json
import sys

import numpy as np


def files(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def tfserving_grpc(addr, model, input_name, output_name, blobs):
    # TF Serving's own client: a PredictRequest with signature_name set, the encoded files as a DT_STRING tensor
    # (string_val, one file per element), as TF Serving's image examples send them.
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(addr))
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = "serving_default"
    request.inputs[input_name].CopyFrom(tf.make_tensor_proto(blobs, dtype=tf.string, shape=[len(blobs)]))
    response = stub.Predict(request, 30.0)
    out = response.outputs[output_name]
    k = out.tensor_shape.dim[1].size
    strings = [s.decode() for s in out.string_val]
    return [strings[i * k : (i + 1) * k] for i in range(len(blobs))]


def as_rows(arr):
    return [[s.decode() if isinstance(s, bytes) else str(s) for s in row] for row in arr.tolist()]


def triton_http(addr, model, input_name, output_name, blobs):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=addr)
    i = httpclient.InferInput(input_name, [len(blobs)], "BYTES")
    i.set_data_from_numpy(np.array(blobs, dtype=np.object_))  # binary_data=True: the files as raw BYTES
    result = client.infer(model, [i], outputs=[httpclient.InferRequestedOutput(output_name)])
    return as_rows(result.as_numpy(output_name))


def triton_grpc(addr, model, input_name, output_name, blobs):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=addr)
    i = grpcclient.InferInput(input_name, [len(blobs)], "BYTES")
    i.set_data_from_numpy(np.array(blobs, dtype=np.object_))
    result = client.infer(model, [i], outputs=[grpcclient.InferRequestedOutput(output_name)])
    return as_rows(result.as_numpy(output_name))


if __name__ == "__main__":
    kind, addr, model, input_name, output_name = sys.argv[1:6]
    call = {"tfserving-grpc": tfserving_grpc, "triton-http": triton_http, "triton-grpc": triton_grpc}[kind]
    print(json.dumps({"top": call(addr, model, input_name, output_name, files(sys.argv[6:]))}))
