import { ERROR_CODES } from "../../errors.js";
import { V2_DATATYPES } from "../v2-protocol.js";

/**
 * JSON schemas of the HTTP API, for the OpenAPI document (openapi-model.ts makes
 * the request bodies exact for the served model once it is loaded). Bodies are validated
 * by the protocol codecs instead (they name the tensor and element at fault),
 * so these describe and never reject.
 */
/** Every error, V1 and V2 alike. */
const error = {
  type: "object",
  properties: {
    error: { type: "string", description: "For people: names the field at fault" },
    code: { type: "string", enum: Object.keys(ERROR_CODES), description: "Stable, for programs (docs/runtime.md)" },
  },
  required: ["error", "code"],
} as const;

const errorResponses = {
  400: { ...error, description: "Invalid request (shape, datatype, non-finite number, row count...)" },
  401: { ...error, description: "Missing or invalid bearer token (when auth is on)" },
  404: { ...error, description: "Unknown model or version" },
  405: { ...error, description: "Method not allowed" },
  413: { ...error, description: "Body larger than --body-limit-bytes" },
  503: { ...error, description: "Model not ready or server shutting down" },
} as const;

const name = { type: "object", properties: { name: { type: "string" } }, required: ["name"] } as const;
const nameVersion = {
  type: "object",
  properties: { name: { type: "string" }, version: { type: "string" } },
  required: ["name", "version"],
} as const;

/** TF Serving's path parameters: the model and a version or a version label. */
function tfsParams(at: string) {
  const extra = at.includes(":version") ? "version" : at.includes(":label") ? "label" : undefined;
  if (extra === undefined) return name;
  return {
    type: "object",
    properties: { name: { type: "string" }, [extra]: { type: "string" } },
    required: ["name", extra],
  } as const;
}

const tensorMeta = {
  type: "object",
  properties: {
    name: { type: "string" },
    datatype: { type: "string", enum: ["FP32", "INT32", "BOOL", "INT64", "UINT8", "INT8", "FP16", "BYTES"] },
    shape: { type: "array", items: { type: "integer" }, description: "-1 for a variable dimension" },
  },
} as const;

const v2Tensor = {
  type: "object",
  required: ["name", "shape", "datatype", "data"],
  properties: {
    name: { type: "string" },
    shape: { type: "array", items: { type: "integer", minimum: 0 } },
    datatype: {
      type: "string",
      // The protocol's own list (v2-protocol.ts), so the route schema cannot drift from what the codecs know.
      enum: [...V2_DATATYPES],
    },
    data: { type: "array", description: "Row-major values, flat or nested" },
    parameters: { type: "object" },
  },
} as const;

const anyJson = {} as const;

const v1PredictSchema = {
  tags: ["v1"],
  summary: "Predict (TF Serving / KServe V1): row format `instances` or columnar `inputs`",
  params: name,
  body: {
    type: "object",
    properties: {
      instances: {
        type: "array",
        description: "One entry per row; objects keyed by input name for multi-input models",
      },
      inputs: { description: "Columnar: a tensor, or an object keyed by input name" },
      signature_name: { type: "string", enum: ["serving_default"] },
    },
    additionalProperties: false,
    oneOf: [{ required: ["instances"] }, { required: ["inputs"] }],
  },
  response: {
    200: {
      type: "object",
      description: "`predictions` for `instances`, `outputs` for `inputs`",
      properties: { predictions: { type: "array" }, outputs: anyJson },
    },
    ...errorResponses,
  },
};

export const schemas = {
  v1List: {
    tags: ["v1"],
    summary: "List served models (KServe V1)",
    response: {
      200: { type: "object", properties: { models: { type: "array", items: { type: "string" } } } },
      ...errorResponses,
    },
  },
  v1Model: {
    tags: ["v1"],
    summary: "Model status (KServe V1 shape: {name, ready})",
    params: name,
    response: {
      200: { type: "object", properties: { name: { type: "string" }, ready: { type: "boolean" } } },
      ...errorResponses,
    },
  },
  v1Predict: v1PredictSchema,
  v2Server: {
    tags: ["v2"],
    summary: "Server metadata (Open Inference Protocol)",
    response: {
      200: {
        type: "object",
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          extensions: { type: "array", items: { type: "string" } },
        },
      },
      ...errorResponses,
    },
  },
  v2Live: {
    tags: ["v2"],
    summary: "Liveness (no auth)",
    response: { 200: { type: "object", properties: { live: { type: "boolean" } } } },
  },
  v2Ready: {
    tags: ["v2"],
    summary: "Readiness: 200 when the model serves, 503 while loading or draining (no auth)",
    response: {
      200: { type: "object", properties: { ready: { type: "boolean" } } },
      503: { type: "object", properties: { ready: { type: "boolean" } } },
    },
  },
  v2Model: (versioned: boolean) => ({
    tags: ["v2"],
    summary: "Model metadata: inputs and outputs with names, datatypes and shapes",
    params: versioned ? nameVersion : name,
    response: {
      200: {
        type: "object",
        properties: {
          name: { type: "string" },
          versions: { type: "array", items: { type: "string" } },
          platform: { type: "string" },
          inputs: { type: "array", items: tensorMeta },
          outputs: { type: "array", items: tensorMeta },
          parameters: { type: "object", description: "Liftoff: backend, digest, batching" },
        },
      },
      ...errorResponses,
    },
  }),
  v2ModelReady: (versioned: boolean) => ({
    tags: ["v2"],
    summary: "Model readiness: 200 when ready, 503 otherwise",
    params: versioned ? nameVersion : name,
    response: {
      200: { type: "object", properties: { name: { type: "string" }, ready: { type: "boolean" } } },
      ...errorResponses,
    },
  }),
  v2Infer: (versioned: boolean) => ({
    tags: ["v2"],
    summary: "Inference (Open Inference Protocol)",
    params: versioned ? nameVersion : name,
    body: {
      type: "object",
      required: ["inputs"],
      properties: {
        id: { type: "string", description: "Echoed in the response" },
        parameters: { type: "object" },
        inputs: { type: "array", minItems: 1, items: v2Tensor },
        outputs: {
          type: "array",
          description: "Optional selection and order of outputs",
          items: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
        },
      },
    },
    response: {
      200: {
        type: "object",
        properties: {
          model_name: { type: "string" },
          model_version: { type: "string" },
          id: { type: "string" },
          outputs: { type: "array", items: v2Tensor },
        },
      },
      ...errorResponses,
    },
  }),
  v2ModelConfig: (versioned: boolean) => ({
    tags: ["v2"],
    summary:
      "Model configuration (Triton's model_config: input/output data_type and dims, max_batch_size, dynamic_batching)",
    params: versioned ? nameVersion : name,
    response: {
      200: {
        type: "object",
        properties: {
          name: { type: "string" },
          platform: { type: "string" },
          backend: { type: "string" },
          max_batch_size: { type: "integer" },
          input: { type: "array", items: { type: "object" } },
          output: { type: "array", items: { type: "object" } },
          dynamic_batching: { type: "object" },
        },
      },
      ...errorResponses,
    },
  }),
  v2ModelStats: (params: "none" | "name" | "versioned") => ({
    tags: ["v2"],
    summary: "Model statistics (Triton's statistics extension: counts and durations in ns)",
    ...(params === "none" ? {} : { params: params === "versioned" ? nameVersion : name }),
    response: {
      200: { type: "object", properties: { model_stats: { type: "array", items: { type: "object" } } } },
      ...errorResponses,
    },
  }),
  tfsMetadata: (at: string) => ({
    tags: ["v1"],
    summary: "TF Serving model metadata: the serving_default signature_def (inputs, outputs, dtypes, shapes)",
    params: tfsParams(at),
    response: {
      200: { type: "object", properties: { model_spec: { type: "object" }, metadata: { type: "object" } } },
      ...errorResponses,
    },
  }),
  tfsStatus: (at: string) => ({
    tags: ["v1"],
    summary: "TF Serving model version status (only the served version answers)",
    params: tfsParams(at),
    response: {
      200: { type: "object", properties: { model_version_status: { type: "array", items: { type: "object" } } } },
      ...errorResponses,
    },
  }),
  tfsPredict: (at: string) => ({
    tags: ["v1"],
    summary: "TF Serving predict on a named version (as /v1/models/{name}:predict)",
    params: tfsParams(at),
    // The same body and answers as the unversioned route: the schema states what the handler enforces.
    body: v1PredictSchema.body,
    response: v1PredictSchema.response,
  }),
  metrics: {
    tags: ["ops"],
    summary: "Prometheus metrics (text format, no auth)",
    produces: ["text/plain"],
    response: { 200: { type: "string" } },
  },
} as const;
