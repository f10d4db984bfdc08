// The bounded hold while a deployment activates: at most `limit` requests per ModelDeployment wait for a pod (more
// answer 503 at once, never a hang), each for at most the activation timeout; the timeout's message says why.
import { ActivatorError, Code } from "./errors.js";

export class HoldQueue {
  private readonly held = new Map<string, number>();

  constructor(private readonly onChange: (delta: 1 | -1) => void = () => undefined) {}

  /** Takes a place for `key`; returns its release (idempotent), or throws QUEUE_FULL when `limit` already wait. */
  hold(key: string, limit: number): () => void {
    const n = this.held.get(key) ?? 0;
    if (n >= limit) {
      throw new ActivatorError(
        Code.LIFTOFF_ERR_ACTIVATION_QUEUE_FULL,
        `${limit} requests already wait for ModelDeployment ${key} to activate (scaleToZero.queueLimit); retry later`,
        1,
      );
    }
    this.held.set(key, n + 1);
    this.onChange(1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left <= 0) this.held.delete(key);
      else this.held.set(key, left);
      this.onChange(-1);
    };
  }

  count(key: string): number {
    return this.held.get(key) ?? 0;
  }
}

/** What is known of why no pod is ready: a waiting container's reason, the deployment's last failure. */
export interface NotReadyCause {
  reason?: string;
  message?: string;
  pod?: string;
}

/** The 503 a held request gets at its deadline, naming the cause when known. */
export function activationTimeout(key: string, seconds: number, cause?: NotReadyCause): ActivatorError {
  let why = `no ready pod within ${seconds}s`;
  if (cause?.reason) {
    const detail = cause.message ? `: ${cause.message.slice(0, 500)}` : "";
    why = `no ready pod within ${seconds}s; ${cause.pod ? `pod ${cause.pod}` : "the pod"} is ${cause.reason}${detail}`;
  }
  return new ActivatorError(
    Code.LIFTOFF_ERR_ACTIVATION_TIMEOUT,
    `ModelDeployment ${key} did not activate: ${why}`,
    Math.min(60, Math.max(1, Math.ceil(seconds / 10))),
  );
}
