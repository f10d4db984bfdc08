"""The Python side of image-clients.test.ts: picture files sent to a served model with declared image preprocessing
and top-k, through the official clients as their docs show (a numpy object array of the files' bytes), with and
without class_count. Prints one JSON object, strings as text. Run by the venv of hack/test-venv.sh.

  image_clients.py triton-http ADDR MODEL INPUT OUTPUT PICTURE...
  image_clients.py triton-grpc ADDR MODEL INPUT OUTPUT PICTURE...
  image_clients.py tfserving ADDR MODEL INPUT OUTPUT PICTURE...
"""

import json
import sys

import numpy as np


def files(pictures):
    out = []
    for p in pictures:
        with open(p, "rb") as fh:
            out.append(fh.read())
    return np.array(out, dtype=np.object_)


def text(a):
    a = np.asarray(a)
    # Binary outputs come as bytes, JSON ones as str.
    data = [v.decode("utf-8") if isinstance(v, bytes) else v for v in a.ravel().tolist()]
    return {"shape": list(a.shape), "data": data}


def triton_http(addr, model, name, output, pictures):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=addr)
    arr = files(pictures)

    def call(binary, class_count=0):
        # Files are not UTF-8 text: tritonclient sends them as binary data only; the answer comes either way.
        i = httpclient.InferInput(name, list(arr.shape), "BYTES")
        i.set_data_from_numpy(arr, binary_data=True)
        o = httpclient.InferRequestedOutput(output, binary_data=binary, class_count=class_count)
        return text(client.infer(model, [i], outputs=[o]).as_numpy(output))

    meta = client.get_model_metadata(model)
    return {
        "metadata": meta,
        "binary": call(True),
        "json": call(False),
        "class_count": call(True, 2),
    }


def triton_grpc(addr, model, name, output, pictures):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=addr)
    arr = files(pictures)

    def call(class_count=0):
        i = grpcclient.InferInput(name, list(arr.shape), "BYTES")
        i.set_data_from_numpy(arr)
        o = grpcclient.InferRequestedOutput(output, class_count=class_count)
        return text(client.infer(model, [i], outputs=[o]).as_numpy(output))

    return {"plain": call(), "class_count": call(2)}


def tfserving(addr, model, name, output, pictures):
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(addr))
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = "serving_default"
    request.inputs[name].CopyFrom(tf.make_tensor_proto(files(pictures)))
    response = stub.Predict(request, 10.0)
    return {"outputs": text(tf.make_ndarray(response.outputs[output]))}


if __name__ == "__main__":
    cmd, addr, model, name, output, *pictures = sys.argv[1:]
    fn = {"triton-http": triton_http, "triton-grpc": triton_grpc, "tfserving": tfserving}[cmd]
    json.dump(fn(addr, model, name, output, pictures), sys.stdout)
