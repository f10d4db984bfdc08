// A run pod's report is answered only once its owner's reconcile has written it to the status: the handler leaves
// the report for that reconcile (keyed by the owner's uid), enqueues it, and waits for its `done`; a reconcile that
// does not come in time answers 503, so the pod retries the report instead of losing it.
import { ReportRejected } from "./identity.js";

const STATUS_WRITE_TIMEOUT_MS = 10_000;

export function awaitStatusWrite<T extends { done: () => void }>(
  pending: Map<string, T>,
  uid: string,
  entry: Omit<T, "done">,
  enqueue: () => void,
  timeoutMs = STATUS_WRITE_TIMEOUT_MS,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (pending.get(uid)?.done === done) pending.delete(uid);
      reject(new ReportRejected("the status was not written in time; retry", 503));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    pending.set(uid, { ...entry, done } as T);
    enqueue();
  });
}
