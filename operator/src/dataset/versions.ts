// status.versions (pure): what a run reported about the DataSet's versions merged with what the status already
// records. The pod knows what exists now and what it shredded; the status also remembers earlier shreddings (the
// last MAX_SHREDDED_VERSIONS), so the record of what was destroyed survives the runs that destroyed it.
import type { DataSetStatus } from "../api/v1alpha1/index.js";
import {
  MAX_SHREDDED_VERSIONS,
  MAX_VERSION_RECORDS,
  nextExpiry,
  type RetentionSpec,
  retentionPolicy,
  type VersionRecord,
} from "../contract/retention.js";

type Versions = NonNullable<DataSetStatus["versions"]>;

/**
 * The reported versions (Retained/Shredded, newest first), the current one marked Current, followed by earlier
 * Shredded entries the report does not repeat; bounded.
 */
export function mergeVersions(
  previous: Versions | undefined,
  reported: readonly VersionRecord[],
  currentDigest: string | undefined,
): Versions {
  const seen = new Set(reported.map((v) => v.digest));
  const now: Versions = reported.map((v) => ({
    ...v,
    state: v.state === "Retained" && v.digest === currentDigest ? "Current" : v.state,
  }));
  const earlier = (previous ?? []).filter((v) => v.state === "Shredded" && !seen.has(v.digest));
  const live = now.filter((v) => v.state !== "Shredded");
  const shredded = [...now.filter((v) => v.state === "Shredded"), ...earlier].slice(0, MAX_SHREDDED_VERSIONS);
  return [...live, ...shredded].slice(0, MAX_VERSION_RECORDS);
}

/** The versions a prune may drop by age: retained, not the current one (hex names and publish times). */
function retainedVersions(status: DataSetStatus | undefined): { name: string; publishedMs: number }[] {
  return (status?.versions ?? [])
    .filter((v) => v.state === "Retained")
    .map((v) => ({ name: v.digest.replace(/^sha256:/, ""), publishedMs: Date.parse(v.created) }))
    .filter((v) => Number.isFinite(v.publishedMs));
}

/** Longest a DataSet waits for its next age check (a clock jump or a missed event is caught by then). */
const MAX_REQUEUE_MS = 6 * 3_600_000;

/**
 * What retention.maxAge asks now (pure): the retained versions past it, to shred with a prune Job, or when the next
 * one falls due, to requeue then; undefined when the spec has no maxAge or nothing will expire. The current version
 * and versions in use (hex digests) are never due.
 */
export function agePrune(
  ds: { spec: { retainVersions: number; retention?: RetentionSpec | undefined }; status?: DataSetStatus | undefined },
  inUse: readonly string[],
  nowMs: number,
): { drop: string[] } | { requeueAfterMs: number } | undefined {
  const policy = retentionPolicy(ds.spec);
  if (policy.maxAgeMs === undefined) return undefined;
  const keep = [...(ds.status?.digest ? [ds.status.digest.replace(/^sha256:/, "")] : []), ...inUse];
  const versions = retainedVersions(ds.status);
  const drop = versions
    .filter((v) => !keep.includes(v.name) && nowMs - v.publishedMs > (policy.maxAgeMs as number))
    .map((v) => v.name);
  if (drop.length > 0) return { drop };
  const next = nextExpiry(versions, policy, keep);
  if (next === undefined) return undefined;
  return { requeueAfterMs: Math.min(MAX_REQUEUE_MS, Math.max(1000, next - nowMs + 1000)) };
}
