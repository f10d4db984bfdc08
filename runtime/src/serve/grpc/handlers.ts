/**
 * The RPCs: V2 GRPCInferenceService and TF Serving's PredictionService and
 * ModelService, as plain async functions of the request message. They share
 * model lookup, validation limits, the batcher and errors with HTTP; RPCs not
 * listed here answer UNIMPLEMENTED (grpc-js's default).
 */
import { errors } from "../../errors.js";
import { RUNTIME_NAME, RUNTIME_VERSION } from "../../version.js";
import { type ErrorLogger, requireModel, requireReady, runInference } from "../inference.js";
import { classifiableOutput } from "../model/with-processing.js";
import type { ModelHost } from "../model-host.js";
import { v2ModelConfig, v2ModelStatistics } from "../v2-model-config.js";
import { v2ModelMetadata } from "../v2-protocol.js";
import type { Limits } from "../validate.js";
import {
  checkSignature,
  decodePredict,
  encodePredict,
  type ModelSpec,
  type PredictRequest,
  servedSignature,
  signatureDefMap,
} from "./tfs-proto-codec.js";
import { decodeModelInfer, encodeModelInfer, type ModelInferRequest } from "./v2-proto-codec.js";

export interface HandlerContext {
  modelHost: ModelHost;
  limits: Limits;
  log: ErrorLogger;
}

type Rpc = (ctx: HandlerContext, request: never) => Promise<object>;

export interface RpcTable {
  [method: string]: { run: Rpc; public?: boolean; protocol?: "grpc-v2" | "grpc-tfs" };
}

type NameVersion = { name: string; version: string };

export const inferenceRpcs: RpcTable = {
  ServerLive: { public: true, run: async () => ({ live: true }) },
  ServerReady: { public: true, run: async ({ modelHost }) => ({ ready: modelHost.ready }) },
  ModelReady: {
    public: true,
    run: async ({ modelHost }, r: NameVersion) => {
      requireModel(modelHost, r.name, r.version);
      return { ready: modelHost.ready };
    },
  },
  ServerMetadata: {
    run: async () => ({
      name: RUNTIME_NAME,
      version: RUNTIME_VERSION,
      extensions: ["model_configuration", "statistics"],
    }),
  },
  ModelMetadata: {
    run: async ({ modelHost }, r: NameVersion) => {
      requireModel(modelHost, r.name, r.version);
      return v2ModelMetadata(modelHost.name, modelHost.version, requireReady(modelHost));
    },
  },
  ModelConfig: {
    run: async ({ modelHost, limits }, r: NameVersion) => {
      requireModel(modelHost, r.name, r.version);
      return { config: v2ModelConfig(modelHost, requireReady(modelHost), limits) };
    },
  },
  ModelStatistics: {
    // An empty name asks for every model, as Triton's does.
    run: async ({ modelHost }, r: NameVersion) => {
      if (r.name !== "") requireModel(modelHost, r.name, r.version);
      return { model_stats: [v2ModelStatistics(modelHost)] };
    },
  },
  ModelInfer: {
    protocol: "grpc-v2",
    run: async ({ modelHost, limits, log }, r: ModelInferRequest) => {
      requireModel(modelHost, r.model_name, r.model_version);
      const model = requireReady(modelHost);
      const request = decodeModelInfer(r, model.signature, limits, classifiableOutput(model));
      const outputs = await runInference(modelHost, log, request.prepared);
      return encodeModelInfer(outputs, model.signature, request, modelHost.name, modelHost.version);
    },
  },
};

/** model_spec: the name must match; a version or version label must be the served one. */
function requireSpec(modelHost: ModelHost, spec: ModelSpec | null): void {
  if (spec === null || spec.name === "") throw errors.invalidInput("model_spec.name is required");
  requireModel(modelHost, spec.name);
  if (spec.version_label !== undefined && spec.version_label !== "")
    throw errors.versionNotFound(spec.name, `label ${spec.version_label}`);
  if (spec.version != null && String(spec.version.value) !== modelHost.version)
    throw errors.versionNotFound(spec.name, String(spec.version.value));
}

/** TF Serving versions are int64; a non-numeric --model-version is reported as 0. */
function numericVersion(modelHost: ModelHost): number {
  return /^\d{1,15}$/.test(modelHost.version) ? Number(modelHost.version) : 0;
}

function specOut(modelHost: ModelHost) {
  const sig = modelHost.model?.signature;
  return {
    name: modelHost.name,
    version: { value: numericVersion(modelHost) },
    signature_name: sig === undefined ? "serving_default" : servedSignature(sig),
  };
}

export const predictionRpcs: RpcTable = {
  Predict: {
    protocol: "grpc-tfs",
    run: async ({ modelHost, limits, log }, r: PredictRequest) => {
      requireSpec(modelHost, r.model_spec);
      const model = requireReady(modelHost);
      const { prepared, outputs: picked } = decodePredict(r, model.signature, limits);
      const outputs = await runInference(modelHost, log, prepared);
      return { model_spec: specOut(modelHost), ...encodePredict(outputs, model.signature, picked) };
    },
  },
  GetModelMetadata: {
    run: async ({ modelHost }, r: { model_spec: ModelSpec | null; metadata_field: string[] }) => {
      requireSpec(modelHost, r.model_spec);
      const model = requireReady(modelHost);
      checkSignature(r.model_spec?.signature_name ?? "", model.signature);
      for (const f of r.metadata_field) {
        if (f !== "signature_def")
          throw errors.invalidInput(`metadata_field '${f}' is not served; ask for 'signature_def'`);
      }
      if (r.metadata_field.length === 0) throw errors.invalidInput("metadata_field must name 'signature_def'");
      return {
        model_spec: specOut(modelHost),
        // protobufjs encodes an object with "@type" into the Any's bytes.
        metadata: {
          signature_def: {
            "@type": "type.googleapis.com/tensorflow.serving.SignatureDefMap",
            signature_def: signatureDefMap(model.signature, (n) => n),
          },
        },
      };
    },
  },
};

export const modelRpcs: RpcTable = {
  GetModelStatus: {
    run: async ({ modelHost }, r: { model_spec: ModelSpec | null }) => {
      requireSpec(modelHost, r.model_spec);
      const state = modelHost.ready ? "AVAILABLE" : modelHost.model === undefined ? "LOADING" : "UNLOADING";
      return {
        model_version_status: [
          { version: numericVersion(modelHost), state, status: { error_code: "OK", error_message: "" } },
        ],
      };
    },
  },
};
