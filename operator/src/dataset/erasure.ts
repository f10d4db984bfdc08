// A DataSet whose current version an ErasureRequest rewrote shows the new version (pure): the old one is shredded,
// so TrainingJobs (a retrain above all) must find the rewrite under status.digest. Read from the requests' records;
// the DataSet's own reconcile writes it (no controller writes another kind's status).
import type { DataSet, DataSetStatus, ErasureRequest } from "../api/v1alpha1/index.js";
import { outputUri } from "./desired.js";

const MAX_NOTES = 16;

export function followErasures(status: DataSetStatus, ds: DataSet, requests: readonly ErasureRequest[]): DataSetStatus {
  if (!status.digest) return status;
  const moves = new Map<string, { to: string; rows: number; request: string }>();
  for (const r of requests) {
    if (r.metadata?.namespace !== ds.metadata?.namespace || r.spec.dataSetRef.name !== ds.metadata?.name) continue;
    for (const w of r.status?.rewritten ?? [])
      moves.set(w.from, { to: w.to, rows: w.rows, request: r.metadata?.name ?? "" });
  }
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
