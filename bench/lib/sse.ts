// Reading an OpenAI-style server-sent event stream as it arrives: bytes in, `data:` payloads out, and the text each
// completion chunk adds. Pure, so bench/llm.ts's counting is unit-tested (test/unit/llm-bench-sse.test.ts).

/** Splits a byte stream into server-sent events; each `push` returns the data of the events it completed. */
export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private data: string[] = [];

  /** Feeds bytes (a UTF-8 character may be split across pushes); returns the data of each event now complete. */
  push(chunk: Uint8Array | string): string[] {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let nl = this.buffer.search(/\r\n|\r|\n/);
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      const width = this.buffer.startsWith("\r\n", nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + width);
      if (line === "") {
        // A blank line ends the event; comments (": ping") and events with no data line yield nothing.
        if (this.data.length > 0) events.push(this.data.join("\n"));
        this.data = [];
      } else if (line.startsWith("data:")) {
        this.data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      nl = this.buffer.search(/\r\n|\r|\n/);
    }
    return events;
  }
}

/** What one event of a streamed completion carries. */
export type StreamEvent =
  | { kind: "done" }
  | { kind: "chunk"; text: string; finishReason: string | null; completionTokens: number | undefined }
  | { kind: "error"; message: string };

/**
 * One `data:` payload of /v1/chat/completions (`choices[0].delta.content`) or /v1/completions (`choices[0].text`);
 * `completionTokens` is the usage a server may add to its last chunk (stream_options.include_usage).
 */
export function readEvent(data: string): StreamEvent {
  if (data.trim() === "[DONE]") return { kind: "done" };
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { kind: "error", message: `not JSON: ${data.slice(0, 80)}` };
  }
  const b = body as {
    error?: { message?: string };
    choices?: { delta?: { content?: string | null }; text?: string; finish_reason?: string | null }[];
    usage?: { completion_tokens?: number } | null;
  };
  if (b.error !== undefined) return { kind: "error", message: b.error.message ?? JSON.stringify(b.error) };
  const choice = b.choices?.[0];
  return {
    kind: "chunk",
    text: choice?.delta?.content ?? choice?.text ?? "",
    finishReason: choice?.finish_reason ?? null,
    completionTokens: b.usage?.completion_tokens ?? undefined,
  };
}
