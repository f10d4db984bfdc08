/**
 * The OpenAI-compatible API of a generative (GGUF) model, on the HTTP port under /v1 and under KServe's /openai/v1:
 * GET models, POST chat/completions and completions, each non-streamed or streamed as server-sent events ending
 * with `data: [DONE]`. `GET /v1/models` is also KServe V1's list (v1-routes.ts): for a generative model it answers
 * both shapes in one body (`models` and OpenAI's `object`/`data`); retrieving one model is only under
 * /openai/v1/models/{model}, since /v1/models/{name} is TF Serving's model status. Errors are in OpenAI's shape
 * (openai-errors.ts, mapped in app.ts). A client that disconnects stops its generation and frees its sequence.
 * Behind one Service a canary's pods answer to the same model name as the stable ones: each completion says which
 * pod's model answered, in the MODEL_VERSION_HEADER (the track) and in `system_fingerprint` (the file's digest).
 */
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";
import type { Generation, LlmHost } from "../llm/llm-host.js";
import type { ModelHost } from "../model-host.js";
import { toRuntimeError } from "./fastify-errors.js";
import { openAiErrorBody } from "./openai-errors.js";
import { type OpenAiRequest, parseChatRequest, parseCompletionRequest } from "./openai-requests.js";
import { sendJson } from "./reply.js";
import { requestMetrics } from "./request-metrics.js";

export interface OpenAiOptions {
  modelHost: ModelHost;
}

const PREFIXES = ["/v1", "/openai/v1"] as const;

/** The runtime's --model-version (the operator sets the track: stable or canary) on every completion. */
const MODEL_VERSION_HEADER = "x-liftoff-model-version";

/** OpenAI's `system_fingerprint` ("the backend configuration the model runs with"): the model file's short digest. */
function systemFingerprint(digest: string | undefined): string | null {
  const hex = digest?.replace(/^sha256:/, "");
  return hex ? `fp_${hex.slice(0, 12)}` : null;
}

type Kind = "chat" | "text";

function requireLlm(modelHost: ModelHost): LlmHost {
  const llm = modelHost.llm;
  if (modelHost.embedder !== undefined)
    throw errors.invalidField(
      "model",
      `model '${modelHost.name}' is an embedding model, not a generative one: use POST /v1/embeddings`,
    );
  // Set once loaded; a draining pod still answers what is routed to it (inference.ts, requireReady).
  if (llm === undefined) throw errors.notReady(modelHost.name);
  return llm;
}

function usageOf(g: Generation) {
  return {
    prompt_tokens: g.promptTokens,
    completion_tokens: g.completionTokens,
    total_tokens: g.promptTokens + g.completionTokens,
  };
}

/** One choice of a reply or a stream chunk, in the shape of its endpoint. */
function choice(kind: Kind, text: string | undefined, finish: string | null, first = false) {
  if (kind === "text") return { index: 0, text: text ?? "", logprobs: null, finish_reason: finish };
  if (finish !== null && text === undefined) return { index: 0, delta: {}, logprobs: null, finish_reason: finish };
  return {
    index: 0,
    delta: first ? { role: "assistant", content: text ?? "" } : { content: text ?? "" },
    logprobs: null,
    finish_reason: finish,
  };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

const STARTED = Math.floor(Date.now() / 1000);

const modelEntry = (modelHost: ModelHost) => ({
  id: modelHost.name,
  object: "model",
  created: STARTED,
  owned_by: "liftoff",
});

/** A GGUF model is loaded: generative or embedding, served on the OpenAI routes. */
export const servesOpenAi = (modelHost: ModelHost): boolean =>
  modelHost.llm !== undefined || modelHost.embedder !== undefined;

/** OpenAI's model list: the GGUF model (generative or embedding) once loaded, else empty. */
export function openAiModelList(modelHost: ModelHost): { object: "list"; data: ReturnType<typeof modelEntry>[] } {
  return { object: "list", data: servesOpenAi(modelHost) ? [modelEntry(modelHost)] : [] };
}

export const openAiRoutes: FastifyPluginAsync<OpenAiOptions> = async (app, { modelHost }) => {
  async function complete(kind: Kind, req: FastifyRequest, reply: FastifyReply) {
    const llm = requireLlm(modelHost);
    reply.header(MODEL_VERSION_HEADER, modelHost.version);
    const r: OpenAiRequest = kind === "chat" ? parseChatRequest(req.body) : parseCompletionRequest(req.body);
    if (r.model !== modelHost.name) throw Object.assign(errors.modelNotFound(r.model), { param: "model" });
    // The response's close before it finished: the client went away (also while the request waits for a sequence).
    const client = new AbortController();
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) client.abort(new Error("the client disconnected"));
    });
    let admitted: Awaited<ReturnType<LlmHost["admit"]>>;
    try {
      admitted = await llm.admit(r.generation, client.signal);
    } catch (err) {
      if (!client.signal.aborted) throw err;
      reply.hijack();
      return;
    }
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
    const head = {
      id,
      object: kind === "chat" ? "chat.completion" : "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: modelHost.name,
      system_fingerprint: systemFingerprint(modelHost.digest),
    };
    if (!r.stream) {
      let g: Generation;
      try {
        g = await admitted.run();
      } catch (err) {
        // Aborted before its first token: nobody is left to answer.
        if (client.signal.aborted) return reply.hijack();
        throw err;
      }
      if (client.signal.aborted) return reply.hijack();
      const c =
        kind === "chat"
          ? { index: 0, message: { role: "assistant", content: g.text }, logprobs: null, finish_reason: g.finishReason }
          : choice(kind, g.text, g.finishReason);
      return sendJson(reply, { ...head, choices: [c], usage: usageOf(g) });
    }

    reply.hijack();
    const res = reply.raw;
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    const chunkHead = { ...head, object: kind === "chat" ? "chat.completion.chunk" : "text_completion" };
    const extra = r.includeUsage ? { usage: null } : {};
    const send = (data: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(sse(data));
    };
    if (kind === "chat") send({ ...chunkHead, choices: [choice(kind, "", null, true)], ...extra });
    try {
      const g = await admitted.run((text) => send({ ...chunkHead, choices: [choice(kind, text, null)], ...extra }));
      send({ ...chunkHead, choices: [choice(kind, undefined, g.finishReason)], ...extra });
      if (r.includeUsage) send({ ...chunkHead, choices: [], usage: usageOf(g) });
    } catch (err) {
      // Headers are sent: the error goes in the stream, as OpenAI's API does.
      const e = toRuntimeError(err, 0);
      if (e.statusCode >= 500 && !client.signal.aborted) req.log.error({ err }, "generation failed");
      send(openAiErrorBody(e));
    }
    if (!res.writableEnded && !res.destroyed) res.end("data: [DONE]\n\n");
  }

  // GET /v1/models is v1-routes.ts's (both shapes).
  app.get("/openai/v1/models", { schema: { summary: "OpenAI: the served model" } }, async (_req, reply) =>
    sendJson(reply, openAiModelList(modelHost)),
  );
  // Counted like V1/V2 (a stream when its last event is written): what concurrency autoscaling reads.
  const countRequests = requestMetrics(modelHost.metrics, "openai");
  for (const prefix of PREFIXES) {
    app.post(
      `${prefix}/chat/completions`,
      { schema: { summary: "OpenAI: chat completion (stream: SSE)" }, onResponse: countRequests },
      (req, reply) => complete("chat", req, reply),
    );
    app.post(
      `${prefix}/completions`,
      { schema: { summary: "OpenAI: text completion (stream: SSE)" }, onResponse: countRequests },
      (req, reply) => complete("text", req, reply),
    );
  }
  app.get<{ Params: { model: string } }>(
    "/openai/v1/models/:model",
    { schema: { summary: "OpenAI: one model" } },
    async (req, reply) => {
      if (req.params.model !== modelHost.name || !servesOpenAi(modelHost))
        throw Object.assign(errors.modelNotFound(req.params.model), { param: "model" });
      return sendJson(reply, modelEntry(modelHost));
    },
  );
};
