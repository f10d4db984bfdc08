"""Calls a Liftoff runtime through an official client, used as its docs show, and
prints what the client got back as one JSON object on stdout.

usage: official_clients.py <triton-http|triton-grpc|tfserving> <host:port> <model>
stdin: {"inputs": {"<name>": {"datatype": "FP32", "data": [[...], ...]}, ...}}
"""

import json
import sys

import numpy as np

NP = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64, "BOOL": np.bool_}


def arrays(req):
    return {name: np.array(t["data"], dtype=NP[t["datatype"]]) for name, t in req["inputs"].items()}


def triton_http(addr, model, req):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=addr)
    meta = client.get_model_metadata(model)
    inputs = []
    for name, arr in arrays(req).items():
        i = httpclient.InferInput(name, list(arr.shape), req["inputs"][name]["datatype"])
        i.set_data_from_numpy(arr)  # defaults: binary_data=True
        inputs.append(i)
    names = [o["name"] for o in meta["outputs"]]
    # No outputs named: the client asks for binary_data_output.
    everything = client.infer(model, inputs)
    # Outputs named with the default binary_data=True, in reverse order.
    requested = client.infer(model, inputs, outputs=[httpclient.InferRequestedOutput(n) for n in reversed(names)])
    return {
        "live": client.is_server_live(),
        "ready": client.is_model_ready(model),
        "outputs": {n: everything.as_numpy(n).tolist() for n in names},
        "requested": {n: requested.as_numpy(n).tolist() for n in names},
        **extensions(client, model, inputs, httpclient.InferRequestedOutput(names[0], class_count=1), {}),
    }


def extensions(client, model, inputs, classified, as_json):
    """Model configuration, statistics and the classification extension (class_count), as a client calls them."""
    config = client.get_model_config(model, **as_json)
    config = config.get("config", config)
    stats = client.get_inference_statistics(model, **as_json)["model_stats"][0]
    try:
        client.infer(model, inputs, outputs=[classified])
        refused = None
    except Exception as e:  # InferenceServerException: what the client raises for a 4xx / non-OK status
        refused = str(e)
    return {
        "config": {
            "max_batch_size": int(config["max_batch_size"]),
            "input": {i["name"]: [i["data_type"], [int(d) for d in i["dims"]]] for i in config["input"]},
        },
        "inference_count": int(stats["inference_count"]),
        "class_count": refused,
    }


def triton_grpc(addr, model, req):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=addr)
    meta = client.get_model_metadata(model, as_json=True)
    inputs = []
    for name, arr in arrays(req).items():
        i = grpcclient.InferInput(name, list(arr.shape), req["inputs"][name]["datatype"])
        i.set_data_from_numpy(arr)
        inputs.append(i)
    names = [o["name"] for o in meta["outputs"]]
    result = client.infer(model, inputs)
    return {
        "live": client.is_server_live(),
        "ready": client.is_model_ready(model),
        "server": client.get_server_metadata(as_json=True)["name"],
        "outputs": {n: result.as_numpy(n).tolist() for n in names},
        **extensions(client, model, inputs, grpcclient.InferRequestedOutput(names[0], class_count=1), {"as_json": True}),
    }


def tfserving(addr, model, req):
    # The shape of the design document's example: a PredictionServiceStub and a
    # PredictRequest with model_spec and TensorProto inputs.
    import grpc
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorflow_serving.apis import (
        get_model_metadata_pb2,
        get_model_status_pb2,
        model_service_pb2_grpc,
        predict_pb2,
        prediction_service_pb2_grpc,
    )

    channel = grpc.insecure_channel(addr)
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    # A request may name another signature (a SavedModel served with spec.model.savedModel.signature).
    signature_name = req.get("signature_name", "serving_default")
    request.model_spec.signature_name = signature_name
    for k, (name, arr) in enumerate(arrays(req).items()):
        if k % 2 == 0:
            # tensor_content: what tf.make_tensor_proto writes for a numpy array.
            request.inputs[name].CopyFrom(tf.make_tensor_proto(arr))
        else:
            # The typed-value form, as other clients build it by hand.
            field = {np.float32: "float_val", np.int32: "int_val", np.int64: "int64_val", np.bool_: "bool_val"}[
                arr.dtype.type
            ]
            proto = tensor_pb2.TensorProto(
                dtype=tf.as_dtype(arr.dtype).as_datatype_enum,
                tensor_shape=tensor_shape_pb2.TensorShapeProto(
                    dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in arr.shape]
                ),
            )
            getattr(proto, field).extend(arr.flatten().tolist())
            request.inputs[name].CopyFrom(proto)
    response = stub.Predict(request, 10.0)

    meta_req = get_model_metadata_pb2.GetModelMetadataRequest()
    meta_req.model_spec.name = model
    meta_req.model_spec.signature_name = signature_name
    meta_req.metadata_field.append("signature_def")
    meta = stub.GetModelMetadata(meta_req, 10.0)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    meta.metadata["signature_def"].Unpack(sigs)
    sig = sigs.signature_def[signature_name]

    status_req = get_model_status_pb2.GetModelStatusRequest()
    status_req.model_spec.name = model
    status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(status_req, 10.0)
    return {
        "outputs": {k: tf.make_ndarray(v).tolist() for k, v in response.outputs.items()},
        "model_spec_signature": response.model_spec.signature_name,
        "signature": {
            "inputs": {k: types_pb2.DataType.Name(v.dtype) for k, v in sig.inputs.items()},
            "outputs": sorted(sig.outputs.keys()),
        },
        "status": [
            get_model_status_pb2.ModelVersionStatus.State.Name(s.state) for s in status.model_version_status
        ],
    }


if __name__ == "__main__":
    kind, addr, model = sys.argv[1:4]
    call = {"triton-http": triton_http, "triton-grpc": triton_grpc, "tfserving": tfserving}[kind]
    print(json.dumps(call(addr, model, json.load(sys.stdin))))
