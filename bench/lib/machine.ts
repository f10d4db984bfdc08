/**
 * What every benchmark prints beside its figures: the machine, the date and the
 * load average (1/5/15 min) when the run started and ended, since on a shared
 * machine the other tenants' load is part of every number.
 */
import os from "node:os";

export interface RunInfo {
  startedAt: string;
  loadAtStart: number[];
}

export function startRun(): RunInfo {
  return { startedAt: new Date().toISOString(), loadAtStart: os.loadavg() };
}

const fmt = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" / ");

export function describeRun(run: RunInfo, detail: string): string {
  const cpu = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`;
  return [
    `machine: ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${detail}`,
    `run: ${run.startedAt} → ${new Date().toISOString()}; load average (1/5/15 min) ${fmt(run.loadAtStart)} at start, ${fmt(os.loadavg())} at end`,
  ].join("\n");
}
