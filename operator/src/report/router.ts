// The per-kind handlers of reports: each controller registers the kind it runs Jobs for (DataSet, TrainingJob).
import type { Logger } from "pino";
import type { ReportUpdate } from "../contract/report.js";
import type { ReportRun } from "./run-owner.js";

export type { ReportUpdate };

/** Handles one authenticated report; throw ReportRejected (identity.ts) to answer 4xx, anything else is a 500. */
export type ReportHandler = (run: ReportRun, update: ReportUpdate, log: Logger) => Promise<void>;

export class ReportRouter {
  private readonly handlers = new Map<string, ReportHandler>();

  register(kind: string, handler: ReportHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a report handler for ${kind} is already registered`);
    this.handlers.set(kind, handler);
  }

  kinds(): ReadonlySet<string> {
    return new Set(this.handlers.keys());
  }

  handler(kind: string): ReportHandler | undefined {
    return this.handlers.get(kind);
  }
}
