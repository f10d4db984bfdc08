// Live progress from the training pod's reports → status.progress and status.history, at most one API write per job every
// `intervalMs` (5 s): a report inside the interval is held and the newest one written when it ends, so the last
// epoch is never lost and the API server never sees a write per batch. The final report (100 %) is written at once,
// so a job that finishes inside the interval shows its last epoch as soon as it has Succeeded, not 5 s later. A JSON merge patch of status.progress
// alone: the reconciler's server-side apply never declares progress, so neither writer removes the other's fields.
import type { Logger } from "pino";
import type { TrainingJob } from "../api/v1alpha1/index.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import type { TrainProgress } from "./outcome.js";

/**
 * The status.progress a report becomes: the loss also to 4 significant digits (the LOSS column: JSONPath cannot
 * format a number), and no ETA once the run is at 100 % (null removes the one written before, in a merge patch).
 */
export function progressPatch(progress: TrainProgress): Record<string, unknown> {
  const { history: _h, ...rest } = progress;
  const patch: Record<string, unknown> = { ...rest };
  if (progress.loss !== undefined) patch.shortLoss = shortNumber(progress.loss);
  if (progress.percentage >= 100) patch.estimatedRemainingSeconds = null;
  return patch;
}

/**
 * The status merge patch of one report: status.progress, and status.history when the report carries it. A merge
 * patch replaces an array whole, so the bounded history the pod sends (every epoch so far) is written as it is.
 */
export function statusPatch(progress: TrainProgress): Record<string, unknown> {
  return { progress: progressPatch(progress), ...(progress.history ? { history: progress.history } : {}) };
}

/** A number to 4 significant digits, as a person reads it in a table. */
export function shortNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0 || (Math.abs(n) >= 1e-4 && Math.abs(n) < 1e6)) return String(Number(n.toPrecision(4)));
  return n.toExponential(3).replace(/\.?0+e/, "e");
}

interface Slot {
  lastWrite: number;
  pending?: TrainProgress | undefined;
  timer?: NodeJS.Timeout | undefined;
  /** The last write, so writes go out in order even when the final one follows the previous one closely. */
  written: Promise<unknown>;
  /** A report at 100 % was written (its patch removed the ETA). */
  ended?: boolean;
}

export class ProgressWriter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly client: Pick<KubeClient, "mergePatch">,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one report; writes now, or when the job's interval is over. */
  offer(namespace: string, name: string, progress: TrainProgress): void {
    const key = `${namespace}/${name}`;
    const slot = this.slots.get(key) ?? { lastWrite: Number.NEGATIVE_INFINITY, written: Promise.resolve() };
    this.slots.set(key, slot);
    slot.pending = progress;
    const wait = slot.lastWrite + this.intervalMs - this.now();
    if (progress.percentage >= 100 && slot.timer) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    if ((wait <= 0 || progress.percentage >= 100) && !slot.timer) {
      this.flush(key, namespace, name, slot);
      return;
    }
    slot.timer ??= setTimeout(
      () => {
        slot.timer = undefined;
        this.flush(key, namespace, name, slot);
      },
      Math.max(0, wait),
    );
  }

  /**
   * Writes a held report now and waits for every write of the job (the run is over: its last report lands before
   * the status that says so). The reconciler awaits it before it writes Succeeded or Failed.
   */
  async flushNow(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const slot = this.slots.get(key);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    this.flush(key, namespace, name, slot);
    await slot.written;
  }

  private flush(key: string, namespace: string, name: string, slot: Slot): void {
    const progress = slot.pending;
    if (!progress) return;
    slot.pending = undefined;
    slot.lastWrite = this.now();
    if (progress.percentage >= 100) slot.ended = true;
    slot.written = slot.written
      .then(() =>
        this.client.mergePatch<TrainingJob>(
          RESOURCES.TrainingJob,
          namespace,
          name,
          { status: statusPatch(progress) },
          "status",
        ),
      )
      .catch((err: Error) => {
        // Deleted a moment ago: its pods are going too, so stop rather than retry.
        if (err instanceof KubeApiError && err.code === 404) {
          this.log.debug({ key }, "gone before its progress was written");
          this.forget(namespace, name);
          return;
        }
        this.log.warn({ key, err: err.message }, "progress write failed; the next report retries");
      });
  }

  /**
   * The run ended (Succeeded or Failed): writes what is held, then removes an ETA still in the status (a run that
   * failed mid-way never reported 100 %), so no ETA shows once training has ended.
   */
  async finish(namespace: string, name: string, etaShown: boolean): Promise<void> {
    const key = `${namespace}/${name}`;
    await this.flushNow(namespace, name);
    if (!etaShown || this.slots.get(key)?.ended) return;
    await this.client
      .mergePatch<TrainingJob>(
        RESOURCES.TrainingJob,
        namespace,
        name,
        { status: { progress: { estimatedRemainingSeconds: null } } },
        "status",
      )
      .catch((err: Error) => this.log.warn({ key, err: err.message }, "could not remove the ETA of an ended run"));
  }

  /** Forgets a job (deleted, finished) and cancels its held write. */
  forget(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const slot = this.slots.get(key);
    if (slot?.timer) clearTimeout(slot.timer);
    this.slots.delete(key);
  }

  stop(): void {
    for (const slot of this.slots.values()) if (slot.timer) clearTimeout(slot.timer);
    this.slots.clear();
  }
}
