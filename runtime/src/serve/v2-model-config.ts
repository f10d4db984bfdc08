/**
 * The V2 model configuration and statistics extensions (Triton's model_config.proto and
 * statistics extension), served from what the runtime knows: the loaded signature, its limits
 * and batching, and the counters /metrics exports. One object each for HTTP JSON and gRPC
 * (proto field names; enums by name, as @grpc/proto-loader takes them).
 */
import type { Tally } from "./metrics.js";
import type { LoadedModel, TensorSpec } from "./model/loaded-model.js";
import type { ModelHost } from "./model-host.js";
import { v2Datatype, v2Platform } from "./v2-protocol.js";
import type { Limits } from "./validate.js";

/** model_config.proto DataType: TYPE_ and the V2 datatype, BYTES being TYPE_STRING. */
function configType(spec: TensorSpec): string {
  const v2 = v2Datatype(spec.dtype);
  return v2 === "BYTES" ? "TYPE_STRING" : `TYPE_${v2}`;
}

/** Whether every tensor's first dimension is free: then it is Triton's implicit batch dimension. */
function batched(model: LoadedModel): boolean {
  return [...model.signature.inputs, ...model.signature.outputs].every((s) => s.shape.length > 0 && s.shape[0] === -1);
}

export function v2ModelConfig(modelHost: ModelHost, model: LoadedModel, limits: Limits) {
  const batch = batched(model);
  // With max_batch_size > 0, Triton's dims leave out the batch dimension.
  const tensors = (specs: readonly TensorSpec[]) =>
    specs.map((s) => ({ name: s.name, data_type: configType(s), dims: batch ? s.shape.slice(1) : [...s.shape] }));
  return {
    name: modelHost.name,
    platform: v2Platform(model.format),
    backend: modelHost.backend?.name ?? "",
    // The most rows one request may carry (--max-request-rows); 0: the model has no batch dimension.
    max_batch_size: batch ? limits.maxRequestRows : 0,
    input: tensors(model.signature.inputs),
    output: tensors(model.signature.outputs),
    ...(modelHost.batching
      ? {
          dynamic_batching: {
            preferred_batch_size: [modelHost.maxBatchSize],
            max_queue_delay_microseconds: Math.round(modelHost.maxLatencyMs * 1000),
          },
        }
      : {}),
  };
}

const ns = (t: Tally) => ({ count: t.count, ns: Math.round(t.seconds * 1e9) });
const none = { count: 0, ns: 0 };

/** One entry of model_stats; durations in ns, as Triton gives them. */
export function v2ModelStatistics(modelHost: ModelHost) {
  const t = modelHost.metrics.totals();
  return {
    name: modelHost.name,
    version: modelHost.version,
    last_inference: t.lastInferenceMs,
    inference_count: t.rows,
    execution_count: t.calls,
    inference_stats: {
      success: ns(t.success),
      fail: ns(t.fail),
      queue: ns(t.queue),
      // The model call is timed whole: input and output copies are inside compute_infer.
      compute_input: none,
      compute_infer: ns(t.compute),
      compute_output: none,
      cache_hit: none,
      cache_miss: none,
    },
    batch_stats: [],
  };
}
