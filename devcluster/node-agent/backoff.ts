// Every back-off of the node agent, in one place (pure): the kubelet's container restart back-off, and the
// doubling retry delays of the agent's own steps (pod network, volumes, container plans, registration, informers).

/** A doubling delay: `initialMs` first, twice as long at each further attempt, never over `maxMs`. */
export interface RetrySchedule {
  initialMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt + 1` (attempts count from 0). */
export function retryDelayMs(attempt: number, schedule: RetrySchedule): number {
  return Math.min(schedule.initialMs * 2 ** attempt, schedule.maxMs);
}

/** Setting up a pod's network namespace (its containers stay ContainerCreating meanwhile). */
export const POD_NETWORK_RETRY: RetrySchedule = { initialMs: 1000, maxMs: 30_000 };
/** Making a pod's volumes (shown as FailedMount). */
export const VOLUME_RETRY: RetrySchedule = { initialMs: 1000, maxMs: 16_000 };
/** Preparing a container run: image "pull", env references (ErrImagePull, CreateContainerConfigError). */
export const CONTAINER_PLAN_RETRY: RetrySchedule = { initialMs: 2000, maxMs: 30_000 };
/** Registering the nodes while the API server is not answering yet. */
export const NODE_REGISTRATION_RETRY: RetrySchedule = { initialMs: 500, maxMs: 5000 };
/** Restarting a watch that stopped on an error. */
export const INFORMER_RESTART_RETRY: RetrySchedule = { initialMs: 500, maxMs: 10_000 };

// Kubelet's restart back-off: the first restart is immediate, then 10 s doubling to 5 min;
// a container that ran 10 minutes without trouble starts the sequence again.
const CRASH_LOOP_BACKOFF: RetrySchedule = { initialMs: 10_000, maxMs: 300_000 };
const BACKOFF_RESET_AFTER_MS = 600_000;

/** Delay before restart number `restartCount + 1`. */
export function restartDelayMs(restartCount: number, ranForMs: number): number {
  if (restartCount === 0 || ranForMs >= BACKOFF_RESET_AFTER_MS) return 0;
  return retryDelayMs(restartCount - 1, CRASH_LOOP_BACKOFF);
}

/** The wait before restarting a container that exited after `ranForMs`, at back-off step `step`, and the next step. */
export function crashLoopBackOff(step: number, ranForMs: number): { delayMs: number; nextStep: number } {
  const current = ranForMs >= BACKOFF_RESET_AFTER_MS ? 0 : step;
  return { delayMs: restartDelayMs(current, ranForMs), nextStep: current + 1 };
}
