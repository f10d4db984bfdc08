// What `kubectl liftoff curves` draws, from a TrainingJob as the API server sends it: status.history (the bounded
// per-epoch history the operator writes) split into panels — loss-like metrics (loss, val_loss, mse, mae: lower is
// better) and score-like ones (accuracy, precision, recall, auc: higher is better) — plus the header's facts.
import type { EpochPoint } from "../../../runtime/src/contract/history.js";
import type { Style } from "../cli/terminal.js";
import type { Series } from "./braille.js";

export type PanelKind = "loss" | "score";

export interface Panel {
  kind: PanelKind;
  title: string;
  series: Series[];
}

export interface Best {
  metric: string;
  value: number;
  epoch: number;
}

export interface CurvesModel {
  name: string;
  namespace: string;
  phase: string;
  /** Epochs completed and planned (status.progress). */
  epoch: number;
  epochs: number;
  /** Every stride-th epoch is kept in status.history. */
  stride: number;
  points: EpochPoint[];
  panels: Panel[];
  best?: Best;
}

/** Colours in the order series get them; loss and val_loss always the first two, so they look alike everywhere. */
const PALETTE: readonly Style[] = ["cyan", "magenta", "yellow", "green", "blue", "red"];

const LOSS_LIKE = /loss|mse|mae/;

export function panelKind(metric: string): PanelKind {
  return LOSS_LIKE.test(metric) ? "loss" : "score";
}

/** Metric names in a stable order: loss, val_loss, then the rest alphabetically. */
function metricNames(points: readonly EpochPoint[]): string[] {
  const names = new Set<string>();
  for (const p of points) {
    if (p.loss !== undefined) names.add("loss");
    for (const k of Object.keys(p.metrics ?? {})) names.add(k);
  }
  const rank = (n: string) => (n === "loss" ? 0 : n === "val_loss" ? 1 : 2);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function metricValue(p: EpochPoint, metric: string): number | undefined {
  const v = metric === "loss" ? p.loss : p.metrics?.[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** The best validation figure: the first score-like val_ metric at its maximum, else val_loss (or another) at its minimum. */
export function bestOf(points: readonly EpochPoint[]): Best | undefined {
  const vals = metricNames(points).filter((n) => n.startsWith("val_"));
  const metric = vals.find((n) => panelKind(n) === "score") ?? vals.find((n) => n === "val_loss") ?? vals[0];
  if (!metric) return undefined;
  const higher = panelKind(metric) === "score";
  let best: Best | undefined;
  for (const p of points) {
    const v = metricValue(p, metric);
    if (v === undefined) continue;
    if (!best || (higher ? v > best.value : v < best.value)) best = { metric, value: v, epoch: p.epoch };
  }
  return best;
}

interface HistoryStatus {
  stride?: unknown;
  epochs?: unknown;
}

/** The model of a TrainingJob object (unknown input: anything malformed in status.history is skipped). */
export function curvesModel(tj: {
  metadata: { name: string; namespace?: string };
  status?: { phase?: string; progress?: { epoch?: number; epochs?: number }; history?: HistoryStatus };
  spec?: { hyperparameters?: { epochs?: number } };
}): CurvesModel {
  const h = tj.status?.history;
  const points = (Array.isArray(h?.epochs) ? h.epochs : []).filter(
    (p): p is EpochPoint => typeof p === "object" && p !== null && Number.isInteger((p as EpochPoint).epoch),
  );
  const names = metricNames(points);
  const panels: Panel[] = [];
  for (const kind of ["loss", "score"] as const) {
    const series = names
      .filter((n) => panelKind(n) === kind)
      .map((n) => ({
        name: n,
        style: PALETTE[names.indexOf(n) % PALETTE.length] as Style,
        points: points.flatMap((p) => {
          const y = metricValue(p, n);
          return y === undefined ? [] : [{ x: p.epoch, y }];
        }),
      }));
    if (series.length > 0) panels.push({ kind, title: kind === "loss" ? "loss" : "metrics", series });
  }
  const last = points.at(-1)?.epoch ?? 0;
  const best = bestOf(points);
  return {
    name: tj.metadata.name,
    namespace: tj.metadata.namespace ?? "",
    phase: tj.status?.phase ?? "Pending",
    epoch: Math.max(tj.status?.progress?.epoch ?? 0, last),
    epochs: tj.status?.progress?.epochs ?? tj.spec?.hyperparameters?.epochs ?? last,
    stride: typeof h?.stride === "number" ? h.stride : 1,
    points,
    panels,
    ...(best ? { best } : {}),
  };
}

/** A run that ended draws its x axis to its last epoch; a running one to the epochs planned, so the curve grows. */
export function xMaxOf(m: CurvesModel): number {
  const last = m.points.at(-1)?.epoch ?? 1;
  return m.phase === "Succeeded" || m.phase === "Failed" ? last : Math.max(last, m.epochs);
}

export function isFinished(m: Pick<CurvesModel, "phase">): boolean {
  return m.phase === "Succeeded" || m.phase === "Failed";
}
