"""The peer for `npm run bench:models`: KServe's Python model server (the server a KServe user gets for an ONNX
model when writing a custom predictor) running one .onnx file with onnxruntime, over V2 REST and V2 gRPC, with the
same intra-op thread count as the Liftoff runtime it is compared with."""

import argparse

import kserve
import numpy as np
import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse

# ONNX element types as onnxruntime's Python names them → numpy dtypes for the inputs.
NUMPY = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8}


class OnnxModel(kserve.Model):
    def __init__(self, name, path, threads):
        super().__init__(name)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name: NUMPY[i.type] for i in self.session.get_inputs()}
        self.ready = True

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {i.name: i.as_numpy().astype(self.inputs[i.name], copy=False) for i in payload.inputs}
        outputs = self.session.run(None, feeds)
        names = [o.name for o in self.session.get_outputs()]
        infer_outputs = []
        for name, value in zip(names, outputs):
            out = InferOutput(name=name, shape=list(value.shape), datatype="FP32")
            out.set_data_from_numpy(value.astype(np.float32, copy=False), binary_data=True)
            infer_outputs.append(out)
        return InferResponse(model_name=self.name, infer_outputs=infer_outputs, response_id=payload.id or "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-file", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, required=True)
    # kserve parses sys.argv itself too (e.g. --configure_logging false).
    args, _ = parser.parse_known_args()
    model = OnnxModel("m", args.model_file, args.threads)
    print(f"kserve on port {args.http_port}", flush=True)
    # Its best case, as in bench/kserve_model.py: one worker as in a default pod, no latency or access logs.
    kserve.ModelServer(
        http_port=args.http_port, grpc_port=args.grpc_port, workers=1, enable_grpc=True, enable_latency_logging=False
    ).start([model])
