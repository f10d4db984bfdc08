/**
 * What every protocol (V1, V2, gRPC) does around a model call: find the model a
 * request names, insist it is ready, and run a validated request through the
 * batcher with model failures mapped to one catalogue error.
 */
import { errors, RuntimeError } from "../errors.js";
import type { LoadedModel, OutputTensor } from "./model/loaded-model.js";
import type { ModelHost } from "./model-host.js";
import type { Prepared } from "./validate.js";

/** The model named in the request, or 404; `version` is checked when given. */
export function requireModel(modelHost: ModelHost, name: string, version?: string): void {
  if (name !== modelHost.name) throw errors.modelNotFound(name);
  if (version !== undefined && version !== "" && version !== modelHost.version)
    throw errors.versionNotFound(name, version);
}

/**
 * The loaded model, or 503 while loading. A draining pod (SIGTERM, --shutdown-delay-ms) still answers: it reports
 * not ready so endpoints drop it, and until they have, requests routed to it must not fail (a 503 here made every
 * rolling update lose requests; docs/reliability.md).
 */
export function requireReady(modelHost: ModelHost): LoadedModel {
  const model = modelHost.model;
  if (model === undefined && modelHost.llm !== undefined)
    throw errors.invalidInput(
      `model '${modelHost.name}' is a generative (gguf) model: use POST /v1/chat/completions or /v1/completions`,
    );
  if (model === undefined && modelHost.embedder !== undefined)
    throw errors.invalidInput(`model '${modelHost.name}' is an embedding (gguf) model: use POST /v1/embeddings`);
  if (model === undefined) throw errors.notReady(modelHost.name);
  return model;
}

/** Where a prediction's id goes, and the caller it is bound to (auth.ts callerOf). */
export interface PredictionSink {
  caller: string;
  receive(id: string): void;
}

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** Runs a validated request; model failures become a 500 without details (logged here). */
export async function runInference(
  modelHost: ModelHost,
  log: ErrorLogger,
  prepared: Prepared,
  /** Receives the prediction's id when feedback is on (monitoring/), and says who asked. */
  onPredictionId?: PredictionSink,
  /** The raw records of a raw-record request (raw-records.ts): drift bins these, not the feature tensor. */
  records?: readonly Record<string, unknown>[],
): Promise<OutputTensor[]> {
  try {
    const { outputs } = await modelHost.infer(prepared);
    // Drift counts, and the id a client sends its ground truth with.
    const id = modelHost.monitor?.observe(prepared, outputs, records, onPredictionId?.caller);
    if (id !== undefined) onPredictionId?.receive(id);
    // Synchronous: the rows are only referenced in a bounded buffer; a background flusher writes them (capture/).
    if (records) modelHost.capture?.observe(id, records, outputs);
    return outputs;
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    log.error({ err }, "inference failed");
    throw errors.inferenceFailed();
  }
}
