// The epochs a trial's pod really trained, from the checkpoints it left on the claim
// (`models/<trial>/.checkpoints/<uid>/ckpt-<epochs done>-<batch>`, one after every epoch): a trial stopped early
// keeps training until its pod is gone, past the last epoch it reported (progress reports go out at most every 5 s),
// so status.epochsTrained can undercount what a stopped trial cost.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const CKPT = /^ckpt-(\d{6})-(\d{9})$/;

/** Whole epochs done by the trial's newest checkpoint (0 when it left none), or undefined when it has no folder. */
export function checkpointEpochs(claimFolder: string, trial: string): number | undefined {
  const root = path.join(claimFolder, "models", trial, ".checkpoints");
  if (!existsSync(root)) return undefined;
  let best = 0;
  for (const uid of readdirSync(root)) {
    let names: string[] = [];
    try {
      names = readdirSync(path.join(root, uid));
    } catch {
      continue;
    }
    for (const n of names) {
      const m = CKPT.exec(n);
      if (m) best = Math.max(best, Number(m[1]));
    }
  }
  return best;
}
