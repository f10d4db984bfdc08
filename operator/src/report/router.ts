// The per-kind handlers of reports: each controller registers the kind it runs Jobs for (DataSet, TrainingJob), and
// the kind whose serving pods push monitoring snapshots (ModelDeployment).
import type { Logger } from "pino";
import type { ReportUpdate } from "../contract/report.js";
import type { ReportRun } from "./run-owner.js";
import type { ServingPod } from "./serving-owner.js";

export type { ReportUpdate };

/** Handles one authenticated report; throw ReportRejected (identity.ts) to answer 4xx, anything else is a 500. */
export type ReportHandler = (run: ReportRun, update: ReportUpdate, log: Logger) => Promise<void>;

/**
 * Handles one authenticated serving pod's monitoring snapshot (parsed JSON, size-bounded, not yet validated);
 * throw ReportRejected to answer 4xx or 503.
 */
export type SnapshotHandler = (pod: ServingPod, body: unknown, log: Logger) => void | Promise<void>;

export class ReportRouter {
  private readonly handlers = new Map<string, ReportHandler>();
  private readonly snapshotHandlers = new Map<string, SnapshotHandler>();

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

  registerSnapshots(kind: string, handler: SnapshotHandler): void {
    if (this.snapshotHandlers.has(kind)) throw new Error(`a snapshot handler for ${kind} is already registered`);
    this.snapshotHandlers.set(kind, handler);
  }

  snapshotKinds(): ReadonlySet<string> {
    return new Set(this.snapshotHandlers.keys());
  }

  snapshotHandler(kind: string): SnapshotHandler | undefined {
    return this.snapshotHandlers.get(kind);
  }
}
