// bench/llm.ts reads both servers' streams with bench/lib/sse.ts: its events must come out whole however the bytes
// are cut, and each chunk's text, usage and [DONE] read the same for chat and plain completions.
import { describe, expect, it } from "vitest";
import { readEvent, SseReader } from "../../bench/lib/sse.js";

const chat = (content: string | null, extra: object = {}) =>
  JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, ...extra }] });

describe("SseReader", () => {
  it("yields each event's data once its blank line arrives, however the bytes are split", () => {
    const stream = `data: ${chat("Hel")}\n\ndata: ${chat("lo")}\n\ndata: [DONE]\n\n`;
    const bytes = new TextEncoder().encode(stream);
    for (const cut of [1, 7, 40, bytes.length]) {
      const reader = new SseReader();
      const out: string[] = [];
      for (let i = 0; i < bytes.length; i += cut) out.push(...reader.push(bytes.subarray(i, i + cut)));
      expect(out).toEqual([chat("Hel"), chat("lo"), "[DONE]"]);
    }
  });

  it("keeps a multi-byte character split across pushes whole", () => {
    const bytes = new TextEncoder().encode(`data: ${chat("café ☕")}\n\n`);
    const reader = new SseReader();
    const at = bytes.indexOf(0xe2) + 1; // inside the three bytes of ☕
    expect([...reader.push(bytes.subarray(0, at)), ...reader.push(bytes.subarray(at))]).toEqual([chat("café ☕")]);
  });

  it("reads CRLF line ends, joins multi-line data and skips comments and events without data", () => {
    const reader = new SseReader();
    expect(reader.push(": ping - 2026-12-06\r\n\r\nevent: x\r\n\r\ndata: a\r\ndata:b\r\n\r\n")).toEqual(["a\nb"]);
  });

  it("holds an event back until its end arrives", () => {
    const reader = new SseReader();
    expect(reader.push("data: [DONE]\n")).toEqual([]);
    expect(reader.push("\n")).toEqual(["[DONE]"]);
  });
});

describe("readEvent", () => {
  it("reads a chat delta, a plain completion's text, a role-only first chunk and the last chunk's usage", () => {
    expect(readEvent(chat("Paris"))).toEqual({
      kind: "chunk",
      text: "Paris",
      finishReason: null,
      completionTokens: undefined,
    });
    expect(readEvent(JSON.stringify({ choices: [{ text: " the", finish_reason: null }] }))).toMatchObject({
      text: " the",
    });
    expect(readEvent(JSON.stringify({ choices: [{ delta: { role: "assistant" } }] }))).toMatchObject({ text: "" });
    expect(readEvent(chat(null, { finish_reason: "length" }))).toMatchObject({ text: "", finishReason: "length" });
    expect(
      readEvent(JSON.stringify({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 16, total_tokens: 36 } })),
    ).toEqual({ kind: "chunk", text: "", finishReason: null, completionTokens: 16 });
  });

  it("tells the end of the stream, an error event and a payload that is not JSON", () => {
    expect(readEvent("[DONE]")).toEqual({ kind: "done" });
    expect(readEvent(JSON.stringify({ error: { message: "context_length_exceeded", type: "x" } }))).toEqual({
      kind: "error",
      message: "context_length_exceeded",
    });
    expect(readEvent("{oops")).toEqual({ kind: "error", message: "not JSON: {oops" });
  });
});
