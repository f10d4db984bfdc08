// Kubelet's restart back-off: the first restart is immediate, then 10 s doubling to 5 min;
// a container that ran 10 minutes without trouble starts the sequence again (pure).
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_AFTER_MS = 600_000;

/** Delay before restart number `restartCount + 1`. */
export function restartDelayMs(restartCount: number, ranForMs: number): number {
  if (restartCount === 0 || ranForMs >= BACKOFF_RESET_AFTER_MS) return 0;
  return Math.min(BACKOFF_INITIAL_MS * 2 ** (restartCount - 1), BACKOFF_MAX_MS);
}

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === "Always") return true;
  if (policy === "OnFailure") return exitCode !== 0;
  return false;
}
