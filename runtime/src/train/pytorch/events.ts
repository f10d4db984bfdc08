// The events the liftoff Python package writes (docs/pytorch.md): one JSON object per line, appended by rank 0.
// Parsed here as untrusted input (a script may write anything), and read as they come by polling the file — the
// script's processes are torchrun's children, which close every inherited descriptor, so a pipe would not reach them.
import { open } from "node:fs/promises";

export type ScriptEvent =
  | {
      type: "progress";
      epoch: number;
      epochs?: number;
      metrics: Record<string, number>;
      samples?: number;
      seconds?: number;
    }
  | { type: "checkpoint"; name: string; epoch?: number }
  | { type: "export"; file: string; metrics: Record<string, number> };

const METRIC = /^[A-Za-z_]{1,32}$/;

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function metricsOf(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v === null || typeof v !== "object") return out;
  for (const [k, x] of Object.entries(v)) {
    const n = num(x);
    if (METRIC.test(k) && n !== undefined && Object.keys(out).length < 32) out[k] = n;
  }
  return out;
}

/** One line → an event, or undefined for anything else (a blank line, a torn last line, an unknown type). */
export function parseEvent(line: string): ScriptEvent | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== "object") return undefined;
  const epoch = num(doc.epoch);
  switch (doc.type) {
    case "progress": {
      if (epoch === undefined || !Number.isInteger(epoch) || epoch < 1) return undefined;
      const epochs = num(doc.epochs);
      const samples = num(doc.samples);
      const seconds = num(doc.seconds);
      return {
        type: "progress",
        epoch,
        ...(epochs !== undefined && Number.isInteger(epochs) && epochs >= epoch ? { epochs } : {}),
        metrics: metricsOf(doc.metrics),
        ...(samples !== undefined && samples >= 0 ? { samples } : {}),
        ...(seconds !== undefined && seconds > 0 ? { seconds } : {}),
      };
    }
    case "checkpoint":
      return typeof doc.name === "string" && /^[\w.-]{1,128}$/.test(doc.name)
        ? { type: "checkpoint", name: doc.name, ...(epoch !== undefined ? { epoch } : {}) }
        : undefined;
    case "export":
      return typeof doc.file === "string" && /^[\w.-]{1,128}$/.test(doc.file)
        ? { type: "export", file: doc.file, metrics: metricsOf(doc.metrics) }
        : undefined;
    default:
      return undefined;
  }
}

/** Follows the events file from its start: `poll()` hands over the complete lines written since the last call. */
export function eventsTail(file: string) {
  let offset = 0;
  let partial = "";
  return {
    async poll(): Promise<ScriptEvent[]> {
      const fh = await open(file, "r").catch(() => undefined);
      if (!fh) return [];
      try {
        const events: ScriptEvent[] = [];
        for (;;) {
          const buf = Buffer.alloc(64 * 1024);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          partial += buf.subarray(0, bytesRead).toString("utf8");
          const lines = partial.split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) {
            const ev = parseEvent(line);
            if (ev) events.push(ev);
          }
        }
        return events;
      } finally {
        await fh.close();
      }
    },
  };
}
