"""The peer for `npm run bench:peer`: KServe's Python model server serving the
same TF.js MLP weights (model.json + weights.bin) through a custom kserve.Model,
computed with TensorFlow (a tf.function over the same Dense stack), over V1 REST
and, with --grpc-port, the V2 gRPC service (ModelInfer)."""

import argparse
import json
import os

import numpy as np
import tensorflow as tf
import kserve

ACTIVATIONS = {"relu": tf.nn.relu, "softmax": tf.nn.softmax, "linear": tf.identity, None: tf.identity}


def read_tfjs_weights(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        meta = json.load(f)
    weights = {}
    for group in meta["weightsManifest"]:
        blob = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            weights[spec["name"]] = np.frombuffer(blob, dtype=np.float32, count=n, offset=offset).reshape(spec["shape"])
            offset += 4 * n
    return meta, weights


class TfjsMlp(kserve.Model):
    def __init__(self, name, model_dir):
        super().__init__(name)
        self.model_dir = model_dir
        self.load()

    def load(self):
        meta, weights = read_tfjs_weights(self.model_dir)
        layers = meta["modelTopology"]["config"]["layers"]
        stack = []
        for layer in layers:
            cfg = layer["config"]
            stack.append(
                (
                    tf.constant(weights[cfg["name"] + "/kernel"]),
                    tf.constant(weights[cfg["name"] + "/bias"]),
                    ACTIVATIONS[cfg.get("activation")],
                )
            )
        width = stack[0][0].shape[0]

        @tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32)])
        def forward(x):
            for kernel, bias, act in stack:
                x = act(tf.matmul(x, kernel) + bias)
            return x

        self.forward = forward
        self.forward(tf.zeros([1, width]))
        self.ready = True
        return self.ready

    async def predict(self, payload, headers=None, response_headers=None):
        if isinstance(payload, kserve.InferRequest):
            y = self.forward(payload.inputs[0].as_numpy()).numpy()
            out = kserve.InferOutput(name="probs", shape=list(y.shape), datatype="FP32")
            out.set_data_from_numpy(y)
            return kserve.InferResponse(
                response_id=payload.id, model_name=self.name, infer_outputs=[out], from_grpc=payload.from_grpc
            )
        if isinstance(payload, (bytes, str)):
            payload = json.loads(payload)
        x = np.asarray(payload["instances"], dtype=np.float32)
        return {"predictions": self.forward(x).numpy().tolist()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--model-name", default="m")
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, default=0, help="0: no gRPC")
    # kserve parses sys.argv itself too (e.g. --configure_logging false).
    args, _ = parser.parse_known_args()
    print(f"kserve on port {args.http_port}", flush=True)
    # Its best case: one worker as in a default pod, no latency logs
    # (bench/peer.ts passes --configure_logging false: no access log either).
    kserve.ModelServer(
        http_port=args.http_port,
        grpc_port=args.grpc_port or 8081,
        workers=1,
        enable_grpc=args.grpc_port > 0,
        enable_latency_logging=False,
    ).start(
        [TfjsMlp(args.model_name, args.model_dir)]
    )
