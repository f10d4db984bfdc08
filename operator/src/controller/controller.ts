// Wires informers to a work queue and a reconciler: callbacks only enqueue keys; workers reconcile with bounded
// concurrency, each reconcile under a deadline and cancelled on stop, back off on errors, and honour requeue-after.
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { KubeObject } from "../kube/types.js";
import { keyOf } from "../kube/types.js";
import type { OperatorMetrics } from "../metrics.js";
import { boundSignal } from "../util/abort.js";
import type { InformerEvent, ObjectCache } from "./informer.js";
import { DEFAULT_RATE_LIMIT, type RateLimitOptions, WorkQueue } from "./queue.js";

export interface ReconcileResult {
  /** Reconcile again after this many milliseconds (polling something without a watch, e.g. a rollout deadline). */
  requeueAfterMs?: number;
}

/** What one reconcile gets besides its key (controller-runtime's context). */
export interface ReconcileContext {
  log: Logger;
  /**
   * Aborted when the reconcile passes its deadline or the controller stops: pass it to every API request, so that
   * stopping never waits on a request that hangs.
   */
  signal: AbortSignal;
}

export interface Reconciler {
  readonly kind: string;
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined>;
}

/** Longest one reconcile may take before its signal aborts (it then fails, and is retried with back-off). */
const RECONCILE_TIMEOUT_MS = 60_000;

/** Maps a changed object to the keys of the primary objects that must be reconciled. */
export type KeyMapper<T extends KubeObject = KubeObject> = (obj: T) => string[];

/**
 * Decides whether a change is worth a reconcile at all (controller-runtime's predicates): `old` is set on updates
 * only, so additions and deletions can be told apart. Without one, every change counts.
 */
export type Predicate<T extends KubeObject = KubeObject> = (obj: T, event: InformerEvent, old?: T) => boolean;

/** Owner key of an object whose controller owner reference is of `kind`. */
function ownerKeyMapper(kind: string): KeyMapper {
  return (obj) => {
    const ref = obj.metadata?.ownerReferences?.find((r) => r.controller && r.kind === kind);
    return ref && obj.metadata?.namespace ? [`${obj.metadata.namespace}/${ref.name}`] : [];
  };
}

export interface ControllerOptions {
  concurrency: number;
  rateLimit?: RateLimitOptions;
  metrics?: OperatorMetrics;
  log: Logger;
  /** Deadline of each reconcile (RECONCILE_TIMEOUT_MS unless set). */
  reconcileTimeoutMs?: number;
}

export class Controller {
  readonly queue: WorkQueue;
  private workers: Promise<void>[] = [];
  private readonly log: Logger;
  /** Aborts every in-flight reconcile when the controller stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly reconciler: Reconciler,
    primary: ObjectCache,
    private readonly opts: ControllerOptions,
  ) {
    const kind = reconciler.kind;
    const m = opts.metrics;
    this.queue = new WorkQueue(opts.rateLimit ?? DEFAULT_RATE_LIMIT, {
      depth: (n) => m?.queueDepth.set({ kind }, n),
      added: () => m?.queueAdds.inc({ kind }),
      latency: (s) => m?.queueLatency.observe({ kind }, s),
    });
    this.log = opts.log.child({ controller: kind });
    // Each worker's reconcile listens on it: more than Node's default of 10 is expected, not a leak.
    setMaxListeners(opts.concurrency + 1, this.stopping.signal);
    primary.onEvent((obj) => this.queue.add(keyOf(obj)));
  }

  /** Also reconcile when objects of another kind change (owned children, referenced objects). */
  watches<T extends KubeObject>(informer: ObjectCache<T>, mapper: KeyMapper<T>, predicate?: Predicate<T>): this {
    informer.onEvent((obj, event, old) => {
      if (predicate && !predicate(obj, event, old)) return;
      const keys = new Set([...mapper(obj), ...(old ? mapper(old) : [])]);
      for (const key of keys) this.queue.add(key);
    });
    return this;
  }

  /** Reconcile the owner when a child it controls changes (kubebuilder's Owns). */
  owns(children: readonly ObjectCache[]): this {
    const toOwner = ownerKeyMapper(this.reconciler.kind);
    for (const c of children) this.watches(c, toOwner);
    return this;
  }

  start(): void {
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.work());
  }

  private async work(): Promise<void> {
    const kind = this.reconciler.kind;
    const m = this.opts.metrics;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const log = this.log.child({ key });
      const started = performance.now();
      let result = "success";
      const bound = boundSignal([this.stopping.signal], this.opts.reconcileTimeoutMs ?? RECONCILE_TIMEOUT_MS);
      try {
        const out = await this.reconciler.reconcile(key, { log, signal: bound.signal });
        this.queue.forget(key);
        if (out?.requeueAfterMs !== undefined) {
          result = "requeue";
          this.queue.addAfter(key, out.requeueAfterMs);
        }
      } catch (err) {
        result = "error";
        const delay = this.queue.addRateLimited(key);
        const reason = (err as { reason?: string }).reason ?? (err as Error).name ?? "Error";
        m?.reconcileErrors.inc({ kind, reason });
        // The error object itself, so pino's serializer keeps its type and stack.
        if (this.stopping.signal.aborted) log.info({ err }, "reconcile cancelled: the controller is stopping");
        else
          log.error({ err, failures: this.queue.failureCount(key), retryInMs: Math.round(delay) }, "reconcile failed");
      } finally {
        bound.dispose();
        this.queue.done(key);
        m?.reconcileTotal.inc({ kind, result });
        m?.reconcileDuration.observe({ kind, result }, (performance.now() - started) / 1000);
      }
    }
  }

  /** Stops taking keys, aborts in-flight reconciles and waits for them to return. */
  async stop(): Promise<void> {
    this.queue.shutdown();
    this.stopping.abort(new Error(`controller ${this.reconciler.kind} stopping`));
    await Promise.all(this.workers);
  }
}
