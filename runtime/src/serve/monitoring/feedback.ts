/**
 * Feedback: the true value for an earlier prediction, by the id the prediction's reply carried (header
 * x-prediction-id; row r of a multi-row request is `row: r`).
 *
 * Replicas: each keeps its own predictions, and an id starts with its owner (base64url of the owner pod's
 * "ip:port"). Feedback that reaches another replica is forwarded once to the owner (marked so it is never forwarded
 * again), and only to an address on this pod's network and port, so an id cannot point the runtime elsewhere.
 * The owner counts it; its counters add up with the others' in Prometheus and in the operator's merge.
 */
import { ERROR_CODES, type ErrorCode, errors, RuntimeError } from "../../errors.js";
import { callerOf } from "../auth.js";
import { isPlainObject } from "../validate.js";
import type { Monitor } from "./monitor.js";
import { PredictionStore } from "./predictions.js";

export interface FeedbackItem {
  id: string;
  row: number;
  /** Class label (classification) or number (regression). */
  label: unknown;
}

export const FORWARDED_HEADER = "x-liftoff-forwarded";
const MAX_ITEMS = 10_000;

const bad = (m: string) => errors.invalidInput(m);

function item(v: unknown, where: string): FeedbackItem {
  if (!isPlainObject(v)) throw bad(`${where} must be an object with 'id' and 'label'`);
  for (const k of Object.keys(v))
    if (k !== "id" && k !== "row" && k !== "label") throw bad(`${where} has unknown field '${k}'`);
  if (typeof v.id !== "string" || v.id === "" || v.id.length > 256)
    throw bad(`${where}.id must be the prediction id (x-prediction-id)`);
  const row = v.row ?? 0;
  if (!Number.isInteger(row) || (row as number) < 0) throw bad(`${where}.row must be a row index (0 or more)`);
  if (!Object.hasOwn(v, "label") || v.label === null) throw bad(`${where} lacks 'label', the true value`);
  return { id: v.id, row: row as number, label: v.label };
}

function bounded(n: number): void {
  if (n === 0) throw bad("feedback is empty");
  if (n > MAX_ITEMS) throw bad(`feedback has ${n} items, more than the limit of ${MAX_ITEMS}`);
}

/** V1 flavour: {"instances": [{"id", "row"?, "label"}, ...]} (one object alone is accepted too). */
export function decodeV1Feedback(body: unknown): FeedbackItem[] {
  if (isPlainObject(body) && Object.hasOwn(body, "instances")) {
    if (!Array.isArray(body.instances)) throw bad("'instances' must be an array of {id, row, label}");
    for (const k of Object.keys(body)) if (k !== "instances") throw bad(`unknown field '${k}'`);
    bounded(body.instances.length);
    return body.instances.map((v, i) => item(v, `instances[${i}]`));
  }
  if (isPlainObject(body)) return [item(body, "feedback")];
  throw bad('feedback body must be a JSON object: {"instances": [{"id": ..., "label": ...}]}');
}

/** V2 flavour: {"inputs": [{"name": "id", "datatype": "BYTES", "shape": [n], "data": [...]}, {"name": "label", ...}, {"name": "row"}?]} */
export function decodeV2Feedback(body: unknown): FeedbackItem[] {
  if (!isPlainObject(body) || !Array.isArray(body.inputs))
    throw bad("feedback body must be {\"inputs\": [tensor 'id', tensor 'label', optional tensor 'row']}");
  const byName = new Map<string, unknown[]>();
  for (const [i, t] of body.inputs.entries()) {
    if (!isPlainObject(t) || typeof t.name !== "string" || !Array.isArray(t.data))
      throw bad(`inputs[${i}] must be a tensor with 'name' and 'data'`);
    if (!["id", "label", "row"].includes(t.name))
      throw bad(`inputs[${i}] has unknown name '${t.name}' (use id, label, row)`);
    byName.set(t.name, (t.data as unknown[]).flat(Number.POSITIVE_INFINITY));
  }
  const ids = byName.get("id");
  const labels = byName.get("label");
  if (!ids || !labels) throw bad("feedback needs the tensors 'id' and 'label'");
  const rows = byName.get("row");
  bounded(ids.length);
  if (labels.length !== ids.length || (rows && rows.length !== ids.length))
    throw bad(`tensors 'id' (${ids.length}), 'label' (${labels.length}) and 'row' must have one entry per feedback`);
  return ids.map((id, i) => item({ id, label: labels[i], ...(rows ? { row: rows[i] } : {}) }, `feedback ${i}`));
}

/** The owner address of a forwardable id, or why not: only the same port on this pod's /16 network. */
function forwardTarget(owner: string, advertise: string | undefined): string | undefined {
  if (advertise === undefined || owner === "self") return undefined;
  const addr = Buffer.from(owner, "base64url").toString();
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(addr);
  const me = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}:(\d{1,5})$/.exec(advertise);
  if (!m || !me || m[1] !== me[1] || m[2] !== me[2] || m[5] !== me[3]) return undefined;
  return addr;
}

export interface FeedbackContext {
  monitor: Monitor;
  modelName: string;
  forwarded: boolean;
  authorization: string | undefined;
  timeoutMs?: number;
  /** Each accepted local label, for the capture writer (joins it to the captured row by id and row). */
  onLabel?: ((id: string, row: number, label: unknown) => void) | undefined;
}

async function forward(target: string, items: FeedbackItem[], ctx: FeedbackContext): Promise<FeedbackResult> {
  let res: Response;
  try {
    res = await fetch(`http://${target}/v2/models/${encodeURIComponent(ctx.modelName)}/feedback`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [FORWARDED_HEADER]: "1",
        ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
      },
      body: JSON.stringify({
        inputs: [
          { name: "id", datatype: "BYTES", shape: [items.length], data: items.map((i) => i.id) },
          { name: "row", datatype: "INT32", shape: [items.length], data: items.map((i) => i.row) },
          { name: "label", datatype: "BYTES", shape: [items.length], data: items.map((i) => i.label) },
        ],
      }),
      signal: AbortSignal.timeout(ctx.timeoutMs ?? 2000),
      redirect: "error",
    });
  } catch {
    throw errors.replicaUnavailable(items[0]?.id ?? "");
  }
  let body: { accepted?: number; unknown?: number; error?: string; code?: string } = {};
  try {
    body = JSON.parse((await res.text()).slice(0, 65536));
  } catch {
    // not JSON: reported as an unavailable replica below
  }
  // Every id unknown to the owner too: the owner counted them; here they are dropped like local unknown ones.
  if (res.status === 404 && body.code === "LIFTOFF_ERR_PREDICTION_NOT_FOUND")
    return { accepted: 0, unknown: items.length };
  if (!res.ok) {
    // The owner's own verdict (unknown id, bad label...) is the client's answer; anything else is a 502.
    const code = body.code as ErrorCode | undefined;
    if (res.status < 500 && code !== undefined && Object.hasOwn(ERROR_CODES, code) && typeof body.error === "string")
      throw new RuntimeError(code, body.error);
    throw errors.replicaUnavailable(items[0]?.id ?? "");
  }
  const unknown = typeof body.unknown === "number" ? body.unknown : 0;
  return { accepted: body.accepted ?? items.length - unknown, unknown };
}

/** What a feedback request did: labels counted, and items dropped because their prediction is unknown here. */
export interface FeedbackResult {
  accepted: number;
  unknown: number;
}

/**
 * Checks every local item, forwards the others to their owners, then counts the local ones. An id no replica knows
 * (expired, never made, another caller's) is counted in liftoff_feedback_unknown_total and dropped, so one stale id
 * does not cost a batch its other labels; when nothing in the request was known it is refused (404), so a lone
 * wrong id still gets a clear answer. Any other bad item refuses the whole request and counts nothing.
 */
export async function applyFeedback(items: FeedbackItem[], ctx: FeedbackContext): Promise<FeedbackResult> {
  const { monitor } = ctx;
  const store = monitor.store;
  const quality = monitor.quality;
  if (!store || !quality) throw errors.feedbackDisabled(ctx.modelName);
  // Only the caller that made a prediction may give its feedback (a forwarded request carries the same header).
  const caller = callerOf(ctx.authorization);
  const local: { item: FeedbackItem; actual: number }[] = [];
  const remote = new Map<string, FeedbackItem[]>();
  const seen = new Set<string>();
  let firstUnknown: string | undefined;
  let unknown = 0;
  const drop = (id: string) => {
    monitor.feedbackUnknown?.inc();
    firstUnknown ??= id;
    unknown++;
  };
  for (const it of items) {
    const owner = PredictionStore.ownerOf(it.id);
    if (owner !== monitor.owner) {
      const target = ctx.forwarded ? undefined : forwardTarget(owner, monitor.advertise);
      if (target === undefined) drop(it.id);
      else remote.set(target, [...(remote.get(target) ?? []), it]);
      continue;
    }
    const key = `${it.id}#${it.row}`;
    const found = store.get(it.id, it.row, caller);
    if ("missing" in found) {
      if (found.missing === "unknown") {
        drop(it.id);
        continue;
      }
      if (found.missing === "row") throw errors.predictionRow(it.id, it.row, store.rowsOf(it.id));
      throw errors.feedbackTwice(it.id, it.row);
    }
    if (seen.has(key)) throw errors.feedbackTwice(it.id, it.row);
    seen.add(key);
    let actual: number;
    if (monitor.task.kind === "classification") {
      const i = quality.classIndex(it.label);
      if (i === undefined) throw errors.unknownLabel(String(it.label), monitor.task.classes);
      actual = i;
    } else {
      if (typeof it.label !== "number" || !Number.isFinite(it.label))
        throw bad(`label of '${it.id}' must be a finite number (this model is a regression)`);
      actual = it.label;
    }
    local.push({ item: it, actual });
  }
  let accepted = 0;
  for (const [target, group] of remote) {
    const r = await forward(target, group, ctx);
    accepted += r.accepted;
    unknown += r.unknown;
  }
  if (unknown === items.length) throw errors.predictionUnknown(firstUnknown ?? items[0]?.id ?? "", store.ttlSeconds);
  for (const { item: it, actual } of local) {
    const got = store.get(it.id, it.row, caller, true);
    if ("value" in got) {
      quality.record(got.value, actual);
      ctx.onLabel?.(it.id, it.row, it.label);
      accepted++;
    }
  }
  return { accepted, unknown };
}
