// A client-node informer that does not die: client-node stops an informer on any error other than
// 410 Gone (kubernetes-client/javascript#364, #596), so errors restart it with back-off.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from "@kubernetes/client-node";
import { INFORMER_RESTART_RETRY, retryDelayMs } from "./backoff.js";

export interface Handlers<T> {
  upsert(obj: T): void;
  remove(obj: T): void;
}

export class SupervisedInformer<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;
  /** Restarts since events last flowed: the back-off step. */
  private failedRestarts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    kc: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    handlers: Handlers<T>,
    private readonly name: string,
    private readonly log: (line: string) => void,
  ) {
    this.informer = makeInformer<T>(kc, path, list);
    this.informer.on("add", (o) => this.guard(() => handlers.upsert(o)));
    this.informer.on("update", (o) => this.guard(() => handlers.upsert(o)));
    this.informer.on("delete", (o) => this.guard(() => handlers.remove(o)));
    this.informer.on("error", (err) => this.restart(err));
  }

  start(): void {
    this.stopped = false;
    this.informer.start().catch((err: unknown) => this.restart(err));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.informer.stop();
  }

  list(): ReadonlyArray<T> {
    return this.informer.list();
  }

  private guard(fn: () => void): void {
    // Events flowing again means the watch is healthy: reset the back-off.
    this.failedRestarts = 0;
    try {
      fn();
    } catch (err) {
      this.log(`${this.name} informer handler failed: ${String(err)}`);
    }
  }

  private restart(err: unknown): void {
    if (this.stopped || this.timer) return;
    const retryMs = retryDelayMs(this.failedRestarts, INFORMER_RESTART_RETRY);
    this.failedRestarts++;
    this.log(`${this.name} informer stopped (${(err as Error)?.message ?? String(err)}); restarting in ${retryMs} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => this.restart(e));
    }, retryMs);
  }
}
