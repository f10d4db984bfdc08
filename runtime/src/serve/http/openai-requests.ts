/**
 * Reads OpenAI chat and text completion bodies into a GenerationRequest. Pure: each malformed field is a 400 that
 * names it (`param`), as OpenAI's own API answers. Fields the runtime does not act on (user, logit_bias, ...) are
 * accepted and ignored, so the official clients' defaults pass; those it cannot honour (n > 1, tools) are refused.
 */
import { errors } from "../../errors.js";
import type { ChatMessage, GenerationRequest } from "../llm/llm-host.js";

export interface OpenAiRequest {
  model: string;
  stream: boolean;
  /** stream_options.include_usage: one more chunk with `usage` before [DONE]. */
  includeUsage: boolean;
  generation: GenerationRequest;
}

type Body = Record<string, unknown>;

const MAX_STOP = 4;

function isObject(v: unknown): v is Body {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalNumber(body: Body, key: string, min: number, max: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
    throw errors.invalidField(key, `${key} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  return v;
}

function stopOf(body: Body): string[] {
  const v = body.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length > MAX_STOP || list.some((s) => typeof s !== "string" || s === ""))
    throw errors.invalidField("stop", `stop must be a non-empty string or a list of up to ${MAX_STOP} of them`);
  return list as string[];
}

function jsonSchemaOf(body: Body): object | undefined {
  const f = body.response_format;
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw errors.invalidField("response_format", "response_format must be an object");
  if (f.type === "text") return undefined;
  if (f.type === "json_object") return { type: "object" };
  if (f.type === "json_schema") {
    const js = f.json_schema;
    if (!isObject(js) || !isObject(js.schema))
      throw errors.invalidField("response_format", "response_format.json_schema.schema must be a JSON schema object");
    return js.schema;
  }
  throw errors.invalidField("response_format", "response_format.type must be text, json_object or json_schema");
}

function contentOf(content: unknown, at: string): string {
  if (typeof content === "string") return content;
  // The array form: text parts only (this runtime serves text models).
  if (Array.isArray(content)) {
    return content
      .map((p, j) => {
        if (isObject(p) && p.type === "text" && typeof p.text === "string") return p.text;
        throw errors.invalidField(
          `${at}.content[${j}]`,
          `${at}.content[${j}] must be a {"type": "text", "text": ...} part`,
        );
      })
      .join("");
  }
  throw errors.invalidField(`${at}.content`, `${at}.content must be a string or a list of text parts`);
}

function messagesOf(body: Body): ChatMessage[] {
  const v = body.messages;
  if (!Array.isArray(v) || v.length === 0)
    throw errors.invalidField("messages", "messages must be a non-empty list of {role, content}");
  return v.map((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw errors.invalidField(at, `${at} must be an object with role and content`);
    const role = m.role === "developer" ? "system" : m.role;
    if (role !== "system" && role !== "user" && role !== "assistant")
      throw errors.invalidField(`${at}.role`, `${at}.role must be system, developer, user or assistant`);
    return { role, content: contentOf(m.content, at) };
  });
}

function common(body: unknown): Body {
  if (!isObject(body)) throw errors.invalidField("body", "the request body must be a JSON object");
  if (typeof body.model !== "string" || body.model === "")
    throw errors.invalidField("model", "model must name the served model (GET /v1/models lists it)");
  const n = optionalNumber(body, "n", 1, 1, true);
  if (n !== undefined && n !== 1) throw errors.invalidField("n", "n must be 1");
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean")
    throw errors.invalidField("stream", "stream must be true or false");
  return body;
}

function generationParams(body: Body): Omit<GenerationRequest, "prompt"> {
  // max_completion_tokens is the newer name of max_tokens.
  const maxTokens =
    optionalNumber(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER, true) ??
    optionalNumber(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  return {
    maxTokens,
    temperature: optionalNumber(body, "temperature", 0, 2) ?? 1,
    topP: optionalNumber(body, "top_p", 0, 1),
    seed: optionalNumber(body, "seed", -(2 ** 53), 2 ** 53, true),
    stop: stopOf(body),
    jsonSchema: jsonSchemaOf(body),
  };
}

function streamOptions(body: Body): { stream: boolean; includeUsage: boolean } {
  const so = body.stream_options;
  return { stream: body.stream === true, includeUsage: isObject(so) && so.include_usage === true };
}

export function parseChatRequest(raw: unknown): OpenAiRequest {
  const body = common(raw);
  if (Array.isArray(body.tools) && body.tools.length > 0)
    throw errors.invalidField("tools", "tools (function calling) are not served by this runtime");
  const messages = messagesOf(body);
  return {
    model: body.model as string,
    ...streamOptions(body),
    generation: { prompt: { kind: "chat", messages }, ...generationParams(body) },
  };
}

export function parseCompletionRequest(raw: unknown): OpenAiRequest {
  const body = common(raw);
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (typeof prompt !== "string")
    throw errors.invalidField("prompt", "prompt must be a string (or a list of exactly one string)");
  if (body.echo === true) throw errors.invalidField("echo", "echo is not served by this runtime");
  return {
    model: body.model as string,
    ...streamOptions(body),
    generation: { prompt: { kind: "text", text: prompt }, ...generationParams(body) },
  };
}
