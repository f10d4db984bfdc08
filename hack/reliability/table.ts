// The suite's one table (pure): one row per fault, a verdict per row, and the exit status it implies.

type Verdict = "pass" | "FAIL" | "not run";

export interface Row {
  fault: string;
  load: string;
  sent: number | undefined;
  failed: number | undefined;
  dataLost: string;
  recovery: string;
  verdict: Verdict;
  /** Why: the target and what was seen (printed under the table). */
  note: string;
}

const COLUMNS = ["fault", "load", "requests sent", "failed", "data lost", "recovery time", "verdict"] as const;

function cells(r: Row): string[] {
  const n = (v: number | undefined) => (v === undefined ? "-" : String(v));
  return [r.fault, r.load, n(r.sent), n(r.failed), r.dataLost, r.recovery, r.verdict];
}

/** A Markdown table (it reads as a table in a terminal too) followed by one note line per row. */
export function renderTable(rows: Row[]): string {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cells(r).map(cell).join(" | ")} |`),
    "",
    ...rows.map((r) => `- **${r.fault}** (${r.verdict}): ${r.note}`),
  ];
  return lines.join("\n");
}

/** 0 when every fault that ran met its target; a fault that could not run is not a pass, but is said as such. */
export function exitCode(rows: Row[]): number {
  return rows.some((r) => r.verdict === "FAIL") ? 1 : 0;
}

export function notRun(fault: string, why: string): Row {
  return {
    fault,
    load: "-",
    sent: undefined,
    failed: undefined,
    dataLost: "-",
    recovery: "-",
    verdict: "not run",
    note: why,
  };
}

export function seconds(ms: number | undefined): string {
  return ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`;
}
