// DataSet retention, shared by both sides (pure): which versions a prune drops (the prepare pod at publish and the
// prune Job), when the next one falls due (the operator's requeue), and the status.versions record. A version past
// retention is shredded — its data key destroyed in Vault, then its files deleted (runtime/src/crypto/version-keys.ts).

/** spec.retention: keep the newest `keepLast`, and/or only those younger than `maxAge`. */
export interface RetentionSpec {
  keepLast?: number;
  /** A duration: a whole number and a unit, s, m, h or d ("720h", "30d"). */
  maxAge?: string;
}

/** What a prune applies: the count (spec.retention.keepLast, else spec.retainVersions) and the age limit. */
export interface RetentionPolicy {
  keepLast: number;
  maxAgeMs?: number;
}

export const DURATION_PATTERN = "^[1-9][0-9]{0,5}(s|m|h|d)$";
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "720h" → milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = new RegExp(DURATION_PATTERN).exec(text);
  if (!m) return undefined;
  return Number.parseInt(text, 10) * UNIT_MS[m[1] as keyof typeof UNIT_MS];
}

/**
 * The policy of a spec. retention.keepLast replaces retainVersions (the CRD refuses both at once unless
 * retainVersions is its default); retention with only maxAge keeps at most retainVersions as before.
 */
export function retentionPolicy(spec: {
  retainVersions: number;
  retention?: RetentionSpec | undefined;
}): RetentionPolicy {
  const maxAgeMs = spec.retention?.maxAge ? parseDuration(spec.retention.maxAge) : undefined;
  return {
    keepLast: spec.retention?.keepLast ?? spec.retainVersions,
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
  };
}

/** Why a version was shredded (status.versions[].reason). */
export const ShredReason = {
  /** Beyond keepLast (or retainVersions). */
  KeepLast: "KeepLast",
  /** Older than maxAge. */
  MaxAge: "MaxAge",
  /** The DataSet was deleted. */
  Deleted: "Deleted",
  /** Superseded by an erasure request's rewrite: shredded at once (ErasureRequest). */
  Erased: "Erased",
} as const;
export type ShredReasonName = (typeof ShredReason)[keyof typeof ShredReason];

export interface PublishedVersion {
  /** The version folder's name: the manifest's sha256 in hex. */
  name: string;
  /** When it was (last) published, ms since the epoch. */
  publishedMs: number;
}

/**
 * The versions to drop, newest first order kept: beyond the `keepLast` newest, or published longer than maxAge ago.
 * Never one in `keep` (the current version, versions TrainingJobs use): they stay whatever their age or rank.
 */
export function versionsToDrop(
  versions: readonly PublishedVersion[],
  policy: RetentionPolicy,
  keep: readonly string[],
  nowMs: number,
): { name: string; reason: ShredReasonName }[] {
  const sorted = [...versions].sort((a, b) => b.publishedMs - a.publishedMs || (a.name < b.name ? -1 : 1));
  const out: { name: string; reason: ShredReasonName }[] = [];
  for (const [i, v] of sorted.entries()) {
    if (keep.includes(v.name)) continue;
    if (i >= policy.keepLast) out.push({ name: v.name, reason: ShredReason.KeepLast });
    else if (policy.maxAgeMs !== undefined && nowMs - v.publishedMs > policy.maxAgeMs)
      out.push({ name: v.name, reason: ShredReason.MaxAge });
  }
  return out;
}

/**
 * When the next version falls past maxAge (ms since the epoch), among versions not in `keep`; undefined when none
 * will (no maxAge, or nothing but kept versions). The operator requeues the DataSet then and runs a prune Job.
 */
export function nextExpiry(
  versions: readonly PublishedVersion[],
  policy: RetentionPolicy,
  keep: readonly string[],
): number | undefined {
  if (policy.maxAgeMs === undefined) return undefined;
  const due = versions.filter((v) => !keep.includes(v.name)).map((v) => v.publishedMs + (policy.maxAgeMs as number));
  return due.length > 0 ? Math.min(...due) : undefined;
}

/** One entry of status.versions (newest first; shredded entries kept for the last MAX_SHREDDED_VERSIONS). */
export interface VersionRecord {
  /** The first 12 hex digits of the digest. */
  version: string;
  digest: string;
  /** When the version was published (RFC 3339). */
  created: string;
  /** Its data key in the key store, for an encrypted version. */
  keyId?: string;
  state: "Current" | "Retained" | "Shredded";
  /** When it was shredded (RFC 3339). */
  shredded?: string;
  reason?: string;
}

export const MAX_SHREDDED_VERSIONS = 20;
/** Retained versions are bounded by retainVersions / keepLast (≤ 100) plus those in use. */
export const MAX_VERSION_RECORDS = 150;

export const shortVersion = (hex: string) => hex.slice(0, 12);
