// A TrainingJob's status.progress as one line with a bar (pure): epoch, loss, the validation metrics, ETA.

import type { Progress } from "../../runtime/src/train/trainer.js";

// status.progress has the shape the train command reports (one definition, in the trainer).
export type { Progress };

export function progressLine(p: Progress, width = 24): string {
  const pct = Math.max(0, Math.min(100, p.percentage));
  const filled = Math.round((pct / 100) * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const parts = [`[${bar}] ${String(pct).padStart(3)}%`, `epoch ${p.epoch}/${p.epochs}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  for (const [k, v] of Object.entries(p.metrics ?? {})) {
    if (k.startsWith("val_")) parts.push(`${k} ${v.toFixed(3)}`);
  }
  if (p.estimatedRemainingSeconds !== undefined) parts.push(`ETA ${p.estimatedRemainingSeconds}s`);
  return parts.join("  ");
}

/** Draws progress lines: redrawn in place on a terminal (`tty`), else one logged line per 10 % step (logs, CI). */
export class ProgressPrinter {
  private lastDecile = -1;
  private drawn = false;

  constructor(
    private readonly log: (line: string) => void,
    private readonly tty?: (text: string) => void,
  ) {}

  update(p: Progress | undefined): void {
    if (!p) return;
    const line = progressLine(p);
    if (this.tty) {
      this.tty(`\r  ${line}\u001b[K`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor(p.percentage / 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    this.log(`  ${line}`);
  }

  /** Ends an in-place line so the next log line starts on its own. */
  done(): void {
    if (this.drawn && this.tty) this.tty("\n");
    this.drawn = false;
  }
}
