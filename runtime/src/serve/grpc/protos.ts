/**
 * The upstream .proto files in proto/ (see proto/README.md), loaded once with
 * @grpc/proto-loader. Field names keep their proto spelling; int64 values are
 * JS numbers (shapes and int64 contents are range-checked where they are used);
 * enums are their names; absent fields take their proto3 defaults.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * proto/ of the repository (runtime/src/serve/grpc and runtime/dist/serve/grpc are four
 * levels down) or of the image (/app/dist/serve/grpc → /app/proto).
 */
const PROTO_DIR =
  ["../../../../proto/", "../../../proto/"]
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((dir) => existsSync(`${dir}grpc_service.proto`)) ??
  fileURLToPath(new URL("../../../../proto/", import.meta.url));

const PROTO_FILES = [
  "grpc_service.proto",
  "tensorflow_serving/apis/prediction_service.proto",
  "tensorflow_serving/apis/model_service.proto",
] as const;

export interface Services {
  inference: grpc.ServiceDefinition;
  prediction: grpc.ServiceDefinition;
  model: grpc.ServiceDefinition;
}

let loaded: Services | undefined;

export function services(): Services {
  if (loaded !== undefined) return loaded;
  const def = protoLoader.loadSync([...PROTO_FILES], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    tensorflow: {
      serving: { PredictionService: grpc.ServiceClientConstructor; ModelService: grpc.ServiceClientConstructor };
    };
  };
  loaded = {
    inference: pkg.inference.GRPCInferenceService.service,
    prediction: pkg.tensorflow.serving.PredictionService.service,
    model: pkg.tensorflow.serving.ModelService.service,
  };
  return loaded;
}

/** Client constructors for tests and benchmarks (the same definitions). */
export function clients(): {
  Inference: grpc.ServiceClientConstructor;
  Prediction: grpc.ServiceClientConstructor;
  Model: grpc.ServiceClientConstructor;
} {
  const s = services();
  return {
    Inference: grpc.makeGenericClientConstructor(s.inference, "GRPCInferenceService"),
    Prediction: grpc.makeGenericClientConstructor(s.prediction, "PredictionService"),
    Model: grpc.makeGenericClientConstructor(s.model, "ModelService"),
  };
}
