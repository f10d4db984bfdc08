"""The Python side of dtypes.test.ts: one ONNX model with string, float16 and bool tensors, called through the
official clients as their docs show (numpy arrays of dtype object/bytes, float16, bool), and run by onnxruntime's
Python build for the reference. Prints one JSON object; strings as text, float16 as the exact numbers they hold.

  dtypes_clients.py reference MODEL.onnx     (the venv of hack/onnx-venv.sh)
  dtypes_clients.py triton-http ADDR MODEL   (the venv of hack/test-venv.sh; so are the next two)
  dtypes_clients.py triton-grpc ADDR MODEL
  dtypes_clients.py tfserving ADDR MODEL
stdin: {"text": [[str, ...], ...], "half": [[...]], "x": [[...]], "flag": [[...]]}
"""

import json
import sys

import numpy as np

DATATYPES = {"text": "BYTES", "half": "FP16", "x": "FP32", "flag": "BOOL"}


def arrays(req):
    return {
        "text": np.array([[s.encode("utf-8") for s in row] for row in req["text"]], dtype=np.object_),
        "half": np.array(req["half"], dtype=np.float16),
        "x": np.array(req["x"], dtype=np.float32),
        "flag": np.array(req["flag"], dtype=np.bool_),
    }


def plain(a):
    """An output as JSON: bytes as text, float16 as the float64 it holds exactly, numpy dtype named."""
    a = np.asarray(a)
    if a.dtype == np.object_ or a.dtype.kind in "SU":
        data = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in a.ravel().tolist()]
    elif a.dtype == np.bool_:
        data = a.ravel().tolist()
    else:
        data = a.astype(np.float64).ravel().tolist()
    kind = "bytes" if a.dtype == np.object_ or a.dtype.kind in "SU" else str(a.dtype)
    return {"dtype": kind, "shape": list(a.shape), "data": data}


def reference(model, req):
    import onnxruntime as ort

    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = arrays(req)
    # onnxruntime takes string tensors as numpy str arrays.
    feeds["text"] = np.array(req["text"], dtype=np.str_).astype(np.object_)
    names = [o.name for o in sess.get_outputs()]
    return {n: plain(o) for n, o in zip(names, sess.run(names, feeds))}


def triton_http(addr, model, req):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=addr)
    meta = client.get_model_metadata(model)
    names = [o["name"] for o in meta["outputs"]]

    def call(binary):
        inputs = []
        for name, arr in arrays(req).items():
            i = httpclient.InferInput(name, list(arr.shape), DATATYPES[name])
            i.set_data_from_numpy(arr, binary_data=binary)
            inputs.append(i)
        outs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in names]
        result = client.infer(model, inputs, outputs=outs)
        return {n: plain(result.as_numpy(n)) for n in names}

    return {
        "metadata": {t["name"]: t["datatype"] for t in meta["inputs"] + meta["outputs"]},
        "binary": call(True),
        "json": call(False),
    }


def triton_grpc(addr, model, req):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=addr)
    meta = client.get_model_metadata(model, as_json=True)
    names = [o["name"] for o in meta["outputs"]]
    inputs = []
    for name, arr in arrays(req).items():
        i = grpcclient.InferInput(name, list(arr.shape), DATATYPES[name])
        i.set_data_from_numpy(arr)
        inputs.append(i)
    result = client.infer(model, inputs)
    return {
        "metadata": {t["name"]: t["datatype"] for t in meta["inputs"] + meta["outputs"]},
        "outputs": {n: plain(result.as_numpy(n)) for n in names},
    }


def tfserving(addr, model, req):
    import grpc
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2, prediction_service_pb2_grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(addr))

    def predict(inputs):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model
        request.model_spec.signature_name = "serving_default"
        for name, proto in inputs.items():
            request.inputs[name].CopyFrom(proto)
        response = stub.Predict(request, 10.0)
        return {k: plain(tf.make_ndarray(v)) for k, v in response.outputs.items()}

    arrs = arrays(req)
    # What tf.make_tensor_proto writes: string_val for strings, tensor_content for the rest.
    made = predict({k: tf.make_tensor_proto(v) for k, v in arrs.items()})

    # The typed-value form built by hand: half_val holds each half's 16 bits, bool_val, string_val.
    def typed(arr, dtype, field, values):
        proto = tensor_pb2.TensorProto(
            dtype=dtype,
            tensor_shape=tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in arr.shape]
            ),
        )
        getattr(proto, field).extend(values)
        return proto

    by_hand = predict(
        {
            "text": typed(arrs["text"], types_pb2.DT_STRING, "string_val", arrs["text"].ravel().tolist()),
            "half": typed(arrs["half"], types_pb2.DT_HALF, "half_val", arrs["half"].view(np.uint16).ravel().tolist()),
            "x": typed(arrs["x"], types_pb2.DT_FLOAT, "float_val", arrs["x"].ravel().tolist()),
            "flag": typed(arrs["flag"], types_pb2.DT_BOOL, "bool_val", arrs["flag"].ravel().tolist()),
        }
    )

    meta_req = get_model_metadata_pb2.GetModelMetadataRequest()
    meta_req.model_spec.name = model
    meta_req.metadata_field.append("signature_def")
    meta = stub.GetModelMetadata(meta_req, 10.0)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    meta.metadata["signature_def"].Unpack(sigs)
    sig = sigs.signature_def["serving_default"]
    dtypes = {k: types_pb2.DataType.Name(v.dtype) for k, v in list(sig.inputs.items()) + list(sig.outputs.items())}
    return {"metadata": dtypes, "made": made, "by_hand": by_hand}


if __name__ == "__main__":
    kind = sys.argv[1]
    req = json.load(sys.stdin)
    if kind == "reference":
        print(json.dumps(reference(sys.argv[2], req)))
    else:
        call = {"triton-http": triton_http, "triton-grpc": triton_grpc, "tfserving": tfserving}[kind]
        print(json.dumps(call(sys.argv[2], sys.argv[3], req)))
