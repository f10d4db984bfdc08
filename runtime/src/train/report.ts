// Progress to the operator over the result-reporting channel (runtime/src/report/): at most one report every
// `intervalMs` while training, and always the final one. Reports never slow the training loop: they are sent in
// the background, one at a time, and a failure is logged, not fatal (the outcome also goes to the termination log).
import type { Reporter } from "../report/reporter.js";
import type { Progress } from "./trainer.js";

export function progressReporter(
  reporter: Reporter | undefined,
  log: (m: string) => void,
  intervalMs = 5000,
  now: () => number = () => Date.now(),
) {
  let last = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> = Promise.resolve();
  let held: Progress | undefined;
  const send = (p: Progress) => {
    held = undefined;
    last = now();
    inFlight = inFlight
      .then(() => reporter?.report({ phase: "progress", data: { progress: p } }))
      .catch((err: Error) => log(`progress report failed: ${err.message}`));
  };
  return {
    offer(p: Progress, final: boolean): void {
      const { history: _h, ...shown } = p; // the log line stays one epoch long
      log(`progress ${JSON.stringify(shown)}`);
      if (!reporter) return;
      if (final || now() - last >= intervalMs) send(p);
      else held = p;
    },
    /** Sends what is held and waits for every report to finish. */
    async drain(): Promise<void> {
      if (held) send(held);
      await inFlight;
    },
  };
}
