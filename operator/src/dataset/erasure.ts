// A DataSet whose current version an ErasureRequest rewrote shows the new version (pure): the old one is shredded,
// so TrainingJobs (a retrain above all) must find the rewrite under status.digest. Read from the requests' records;
// the DataSet's own reconcile writes it (no controller writes another kind's status).
import type { DataSet, DataSetStatus, ErasureRequest } from "../api/v1alpha1/index.js";
import { ShredReason } from "../contract/retention.js";
import { outputUri } from "./desired.js";

const MAX_NOTES = 16;

export function followErasures(status: DataSetStatus, ds: DataSet, requests: readonly ErasureRequest[]): DataSetStatus {
  if (!status.digest) return status;
  const moves = new Map<string, { to: string; rows: number; request: string }>();
  const shredded = new Map<string, string | undefined>();
  for (const r of requests) {
    if (r.metadata?.namespace !== ds.metadata?.namespace || r.spec.dataSetRef.name !== ds.metadata?.name) continue;
    for (const w of r.status?.rewritten ?? [])
      moves.set(w.from, { to: w.to, rows: w.rows, request: r.metadata?.name ?? "" });
    const when = r.status?.conditions?.find((c) => c.type === "Complete")?.lastTransitionTime;
    for (const v of r.status?.shredded ?? []) shredded.set(v.digest, when);
  }
  const versions = erasedVersions(status.versions, moves, shredded);
  return followCurrent(versions ? { ...status, versions } : status, ds, moves);
}

/**
 * status.versions after the requests' records: a version a request shredded is Shredded (reason Erased), its rewrite
 * listed in its place (same publish time: the rewrite keeps the old version's place in retention).
 */
function erasedVersions(
  versions: DataSetStatus["versions"],
  moves: ReadonlyMap<string, { to: string }>,
  shredded: ReadonlyMap<string, string | undefined>,
): DataSetStatus["versions"] {
  if (!versions || moves.size === 0) return versions;
  const out: NonNullable<DataSetStatus["versions"]> = [];
  const listed = new Set(versions.map((v) => v.digest));
  for (const v of versions) {
    const move = moves.get(v.digest);
    if (!move || v.state === "Shredded") {
      out.push(v);
      continue;
    }
    if (!listed.has(move.to)) {
      out.push({ version: move.to.slice(7, 19), digest: move.to, created: v.created, state: v.state });
      listed.add(move.to);
    }
    const { keyId, created, version, digest } = v;
    if (shredded.has(v.digest)) {
      const when = shredded.get(v.digest);
      out.push({
        version,
        digest,
        created,
        ...(keyId ? { keyId } : {}),
        state: "Shredded",
        ...(when ? { shredded: when } : {}),
        reason: ShredReason.Erased,
      });
    } else out.push(v);
  }
  // As mergeVersions orders them: the live versions, then the shredded ones.
  return [...out.filter((v) => v.state !== "Shredded"), ...out.filter((v) => v.state === "Shredded")];
}

function followCurrent(
  status: DataSetStatus,
  ds: DataSet,
  moves: ReadonlyMap<string, { to: string; rows: number; request: string }>,
): DataSetStatus {
  if (!status.digest) return status;
  let digest = status.digest;
  const via: string[] = [];
  let rows: number | undefined;
  // Each request rewrites a version once; a later request may rewrite the rewrite. Bounded against a cycle.
  for (let i = 0; i < 100 && moves.has(digest); i++) {
    const m = moves.get(digest) as { to: string; rows: number; request: string };
    via.push(m.request);
    digest = m.to;
    rows = m.rows;
  }
  if (via.length === 0) return status;
  const out = structuredClone(status);
  out.digest = digest;
  out.version = digest.slice(7, 19);
  out.output = `${outputUri(ds)}/${digest.slice(7)}`;
  if (out.rows && rows !== undefined) {
    const erased = out.rows.total - rows;
    out.rows = { ...out.rows, total: rows, read: Math.max(0, out.rows.read - erased) };
  }
  const note = `version ${status.version ?? status.digest.slice(7, 19)} was rewritten without data subjects' rows by ErasureRequest ${[...new Set(via)].join(", ")} as ${out.version}`;
  out.notes = [
    ...(out.notes ?? []).filter((n) => !n.startsWith(`version ${status.version} was rewritten`)),
    note,
  ].slice(-MAX_NOTES);
  return out;
}
