// What the run reports for the DataSet's status (pure): row counts, digest, task, and a bounded per-column summary
// (a few hundred bytes per column, so 1 024 columns stay far below etcd's 1.5 MiB object limit). When the data is
// encrypted the summary keeps only counts: statistics hold data values (minimums, category names).
import type { ColumnStats } from "../contract/artifacts.js";
import type { PrepareResult } from "./pipeline.js";

const TOP_IN_STATUS = 10;

interface StatusColumn {
  name: string;
  count: number;
  nulls: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  quantiles?: Record<string, number>;
  categories?: Record<string, number>;
}

function columnSummary(s: ColumnStats, encrypted: boolean): StatusColumn {
  const c: StatusColumn = { name: s.name, count: s.count, nulls: s.nulls };
  if (encrypted) return c;
  if (s.type === "numeric") {
    for (const k of ["mean", "std", "min", "max"] as const) if (s[k] !== undefined) c[k] = s[k];
    if (s.quantiles) c.quantiles = { p25: s.quantiles.p25 ?? 0, p50: s.quantiles.p50 ?? 0, p75: s.quantiles.p75 ?? 0 };
  } else if (s.histogram.kind === "categorical") {
    c.categories = Object.fromEntries(
      Object.entries(s.histogram.counts)
        .filter(([k]) => k !== "__other__")
        .slice(0, TOP_IN_STATUS),
    );
  }
  return c;
}

export function statusSummary(r: PrepareResult): Record<string, unknown> {
  return {
    digest: r.digest,
    rows: r.captured ? { ...r.rows, captured: r.captured.rows } : r.rows,
    ...(r.captured ? { capturedVersions: r.captured.versions } : {}),
    task: r.preprocessing.target.task,
    columns: r.stats.columns.map((s) => columnSummary(s, r.encrypted)),
    notes: r.notes,
    encrypted: r.encrypted,
    // What exists after publishing and what this run shredded (status.versions).
    versions: r.versions,
  };
}
