/**
 * OpenAI's embeddings API for a GGUF embedding model, under /v1 and KServe's /openai/v1: `input` is a string, a
 * list of strings, a list of token ids or a list of such lists; `encoding_format` float (JSON numbers) or base64
 * (little-endian float32, what the official Python client asks for by default); `dimensions` only as the model's
 * own (the vectors are not truncatable). Errors in OpenAI's shape (app.ts maps them), each naming its field.
 */
import type { FastifyPluginAsync } from "fastify";
import { errors } from "../../errors.js";
import type { EmbeddingHost, EmbeddingInput } from "../llm/embedding-host.js";
import type { ModelHost } from "../model-host.js";
import { sendJson } from "./reply.js";
import { requestMetrics } from "./request-metrics.js";

export interface EmbeddingsRequest {
  model: string;
  inputs: EmbeddingInput[];
  encoding: "float" | "base64";
  dimensions: number | undefined;
}

type Body = Record<string, unknown>;

const isObject = (v: unknown): v is Body => typeof v === "object" && v !== null && !Array.isArray(v);
const isTokens = (v: unknown): v is number[] => Array.isArray(v) && v.every((t) => typeof t === "number");

function inputsOf(v: unknown): EmbeddingInput[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v) || v.length === 0)
    throw errors.invalidField("input", "input must be a string, a list of strings, or token ids (a list or lists)");
  // A flat list of numbers is one input given as token ids.
  if (isTokens(v)) return [v];
  return v.map((item, i) => {
    if (typeof item === "string" || isTokens(item)) return item;
    throw errors.invalidField(`input[${i}]`, `input[${i}] must be a string or a list of token ids`);
  });
}

/** Pure: each malformed field is a 400 that names it. */
export function parseEmbeddingsRequest(raw: unknown): EmbeddingsRequest {
  if (!isObject(raw)) throw errors.invalidField("body", "the request body must be a JSON object");
  if (typeof raw.model !== "string" || raw.model === "")
    throw errors.invalidField("model", "model must name the served model (GET /v1/models lists it)");
  const format = raw.encoding_format ?? "float";
  if (format !== "float" && format !== "base64")
    throw errors.invalidField("encoding_format", "encoding_format must be float or base64");
  const d = raw.dimensions;
  if (d !== undefined && d !== null && (typeof d !== "number" || !Number.isInteger(d) || d < 1))
    throw errors.invalidField("dimensions", "dimensions must be a positive integer");
  return { model: raw.model, inputs: inputsOf(raw.input), encoding: format, dimensions: d ?? undefined };
}

/** A vector as OpenAI sends it: JSON numbers, or base64 of its little-endian float32 bytes. */
export function encodeVector(v: Float32Array, encoding: "float" | "base64"): number[] | string {
  if (encoding === "float") return Array.from(v);
  const bytes = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i] as number, i * 4);
  return bytes.toString("base64");
}

function requireEmbedder(modelHost: ModelHost): EmbeddingHost {
  const embedder = modelHost.embedder;
  // Set once loaded; a draining pod still answers what is routed to it (inference.ts, requireReady).
  if (embedder !== undefined) return embedder;
  if (modelHost.llm !== undefined)
    throw errors.invalidField(
      "model",
      `model '${modelHost.name}' is a generative model, not an embedding model: use POST /v1/chat/completions or /v1/completions`,
    );
  throw errors.notReady(modelHost.name);
}

export const openAiEmbeddingRoutes: FastifyPluginAsync<{ modelHost: ModelHost }> = async (app, { modelHost }) => {
  const countRequests = requestMetrics(modelHost.metrics, "openai");
  for (const prefix of ["/v1", "/openai/v1"]) {
    app.post(
      `${prefix}/embeddings`,
      { schema: { summary: "OpenAI: embeddings of text or token ids" }, onResponse: countRequests },
      async (req, reply) => {
        const r = parseEmbeddingsRequest(req.body);
        if (r.model !== modelHost.name) throw Object.assign(errors.modelNotFound(r.model), { param: "model" });
        const embedder = requireEmbedder(modelHost);
        if (r.dimensions !== undefined && r.dimensions !== embedder.dimensions)
          throw errors.invalidField(
            "dimensions",
            `this model's vectors have ${embedder.dimensions} dimensions and cannot be shortened; leave dimensions out or give ${embedder.dimensions}`,
          );
        const client = new AbortController();
        reply.raw.on("close", () => {
          if (!reply.raw.writableFinished) client.abort(new Error("the client disconnected"));
        });
        let result: Awaited<ReturnType<EmbeddingHost["embed"]>>;
        try {
          result = await embedder.embed(r.inputs, client.signal);
        } catch (err) {
          if (client.signal.aborted) return reply.hijack();
          throw err;
        }
        return sendJson(reply, {
          object: "list",
          data: result.vectors.map((v, index) => ({
            object: "embedding",
            index,
            embedding: encodeVector(v, r.encoding),
          })),
          model: modelHost.name,
          usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
        });
      },
    );
  }
};
