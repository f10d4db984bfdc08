import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import { openAiErrorBody } from "./openai-errors.js";
import { parseChatRequest, parseCompletionRequest } from "./openai-requests.js";

const chat = (extra: Record<string, unknown> = {}) => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function refusal(f: () => unknown): { param: string | null; code: string; status: number } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    const body = openAiErrorBody(e).error;
    return { param: body.param, code: body.code, status: e.statusCode };
  }
  throw new Error("accepted");
}

describe("OpenAI request bodies", () => {
  it("reads a chat request with the client's defaults and the fields it acts on", () => {
    const r = parseChatRequest(
      chat({
        messages: [
          { role: "developer", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
          { role: "assistant", content: "ok" },
        ],
        max_completion_tokens: 7,
        temperature: 0.5,
        top_p: 0.9,
        seed: 3,
        stop: "\n",
        stream: true,
        stream_options: { include_usage: true },
        user: "ignored",
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
      }),
    );
    expect(r).toEqual({
      model: "m",
      stream: true,
      includeUsage: true,
      generation: {
        prompt: {
          kind: "chat",
          messages: [
            { role: "system", content: "Be brief." },
            { role: "user", content: "ab" },
            { role: "assistant", content: "ok" },
          ],
        },
        maxTokens: 7,
        temperature: 0.5,
        topP: 0.9,
        seed: 3,
        stop: ["\n"],
        jsonSchema: { type: "object" },
      },
    });
  });

  it("defaults: temperature 1, no cap of its own, not streamed; json_object is any object", () => {
    const r = parseChatRequest(chat({ response_format: { type: "json_object" } }));
    expect(r.stream).toBe(false);
    expect(r.generation).toMatchObject({
      maxTokens: undefined,
      temperature: 1,
      stop: [],
      jsonSchema: { type: "object" },
    });
  });

  it("reads a text completion; a one-element prompt list is its string", () => {
    const r = parseCompletionRequest({ model: "m", prompt: ["Once"], max_tokens: 2 });
    expect(r.generation.prompt).toEqual({ kind: "text", text: "Once" });
    expect(r.generation.maxTokens).toBe(2);
  });

  it.each([
    ["no body object", [1], "body"],
    ["no model", { messages: [{ role: "user", content: "x" }] }, "model"],
    ["messages empty", chat({ messages: [] }), "messages"],
    ["a message that is a string", chat({ messages: ["hi"] }), "messages[0]"],
    ["an unknown role", chat({ messages: [{ role: "tool", content: "x" }] }), "messages[0].role"],
    ["content of numbers", chat({ messages: [{ role: "user", content: 5 }] }), "messages[0].content"],
    [
      "an image part",
      chat({ messages: [{ role: "user", content: [{ type: "image_url" }] }] }),
      "messages[0].content[0]",
    ],
    ["max_tokens 0", chat({ max_tokens: 0 }), "max_tokens"],
    ["max_tokens 1.5", chat({ max_tokens: 1.5 }), "max_tokens"],
    ["temperature -1", chat({ temperature: -1 }), "temperature"],
    ["top_p 2", chat({ top_p: 2 }), "top_p"],
    ["seed as a string", chat({ seed: "7" }), "seed"],
    ["five stops", chat({ stop: ["a", "b", "c", "d", "e"] }), "stop"],
    ["an empty stop", chat({ stop: [""] }), "stop"],
    ["n 3", chat({ n: 3 }), "n"],
    ["stream as a string", chat({ stream: "yes" }), "stream"],
    ["tools", chat({ tools: [{ type: "function" }] }), "tools"],
    ["an unknown response_format", chat({ response_format: { type: "yaml" } }), "response_format"],
  ])("chat: %s is 400 naming %s", (_what, body, param) => {
    expect(refusal(() => parseChatRequest(body))).toEqual({ param, code: "invalid_input", status: 400 });
  });

  it.each([
    ["a prompt list of two", { model: "m", prompt: ["a", "b"] }, "prompt"],
    ["token ids", { model: "m", prompt: [1, 2, 3] }, "prompt"],
    ["echo", { model: "m", prompt: "a", echo: true }, "echo"],
  ])("completions: %s is 400 naming %s", (_what, body, param) => {
    expect(refusal(() => parseCompletionRequest(body))).toEqual({ param, code: "invalid_input", status: 400 });
  });
});
