// The access record of one DataSet (pure): its status.access so far plus the audit events not yet in it. Each
// version's entry remembers the audit time it counts up to (`through`), and an event at or before that time is
// already counted: merging the same events twice — a log read again after an operator restart, a status write that
// failed and is retried — changes nothing, and the status itself is the durable record (a socket source's events
// are seen once).
import type { Static } from "@sinclair/typebox";
import type { VersionAccess as VersionAccessSchema } from "../api/v1alpha1/access.js";
import type { DataKeyAccess } from "./audit-line.js";

/** One version's entry of status.access (operator/src/api/v1alpha1/access.ts has each field's meaning). */
export type VersionAccess = Static<typeof VersionAccessSchema>;
type AccessReader = VersionAccess["readers"][number];

export const MAX_READERS = 10;
export const MAX_VERSIONS = 20;

/**
 * A time Vault logged (RFC 3339, UTC, up to 9 fraction digits, trailing zeros dropped as Go's RFC3339Nano does)
 * as a string that sorts in time order: the fraction padded to nine digits. Another offset: through Date (ms).
 */
export function timeKey(t: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(t);
  if (m) return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}Z`;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? "" : timeKey(new Date(ms).toISOString());
}

/** Seconds precision for people (the status and kubectl), as Kubernetes writes its own times. */
function seconds(t: string): string {
  return `${t.slice(0, 19)}Z`;
}

function readerKey(r: Omit<AccessReader, "reads" | "lastRead">): string {
  return JSON.stringify([r.namespace ?? "", r.serviceAccount ?? "", r.identity ?? "", r.pod ?? ""]);
}

function newest<T>(items: T[], time: (t: T) => string, max: number): T[] {
  return [...items].sort((a, b) => (time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : 0)).slice(0, max);
}

/**
 * status.access after `events` (of this DataSet; others are ignored). `versionOf` names a key id's version when
 * known. Versions most recently touched first, at most MAX_VERSIONS.
 */
export function mergeAccess(
  prev: readonly VersionAccess[] | undefined,
  events: readonly DataKeyAccess[],
  versionOf: (keyId: string) => string | undefined = () => undefined,
): VersionAccess[] {
  const byKey = new Map<string, VersionAccess>((prev ?? []).map((v) => [v.keyId, structuredClone(v)]));
  const seen = new Set<string>();
  const ordered = events
    .filter((e) => e.op === "read" || e.op === "refused")
    .map((e) => ({ e, t: timeKey(e.time) }))
    .filter(({ t }) => t !== "")
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  for (const { e, t } of ordered) {
    if (seen.has(e.requestId)) continue;
    seen.add(e.requestId);
    const entry = byKey.get(e.keyId) ?? { keyId: e.keyId, reads: 0, through: "", readers: [] };
    if (t <= entry.through) continue; // counted before
    entry.through = t;
    byKey.set(e.keyId, entry);
    if (e.op === "refused") {
      entry.refused = (entry.refused ?? 0) + 1;
      continue;
    }
    entry.reads += 1;
    entry.firstRead ??= seconds(t);
    entry.lastRead = seconds(t);
    const who = {
      ...(e.serviceAccount ? { serviceAccount: e.serviceAccount } : {}),
      ...(e.serviceAccountNamespace ? { namespace: e.serviceAccountNamespace } : {}),
      ...(e.identity ? { identity: e.identity } : {}),
      ...(e.pod ? { pod: e.pod } : {}),
    };
    const reader = entry.readers.find((r) => readerKey(r) === readerKey(who));
    if (reader) {
      reader.reads += 1;
      reader.lastRead = seconds(t);
    } else entry.readers.push({ ...who, reads: 1, lastRead: seconds(t) });
    entry.readers = newest(entry.readers, (r) => r.lastRead, MAX_READERS);
  }
  const out = [...byKey.values()].map((v) => {
    const version = versionOf(v.keyId) ?? v.version;
    return version ? { ...v, version } : v;
  });
  return newest(out, (v) => v.through, MAX_VERSIONS);
}
