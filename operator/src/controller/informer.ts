// A supervised informer: list, then watch from the list's resourceVersion, forever.
// client-node's informers stop silently on errors other than 410 and never resync; this one restarts every failure
// with capped back-off, relists on 410 Gone, and restarts a watch that has gone quiet (staleness watchdog).
// Handlers receive the changed object (and its previous version on updates); they should only map it to keys and
// enqueue them, so that the reconcile, not the event, does the work.
import type { Logger } from "pino";
import type { KubeClient } from "../kube/client.js";
import type { ResourceType } from "../kube/resources.js";
import { type KubeObject, keyOf } from "../kube/types.js";
import type { WatchEvent } from "../kube/watch.js";

export type InformerEvent = "added" | "updated" | "deleted";
export type InformerHandler<T extends KubeObject = KubeObject> = (obj: T, event: InformerEvent, old?: T) => void;

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long. */
  staleAfterMs?: number;
  maxBackoffMs?: number;
  onRestart?: (reason: "expired" | "error" | "stale" | "timeout") => void;
  log?: Logger;
}

/** The uid of an object's controller owner (the one ownerReference with controller: true), if any. */
function controllerUid(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
}

export class Informer<T extends KubeObject = KubeObject> implements ObjectCache<T> {
  private readonly cache = new Map<string, T>();
  /** Cached objects by their controller owner's uid: a reconcile finds its children without a scan of all. */
  private readonly byOwner = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private stopped = false;
  private resourceVersion = "";
  private abortWatch: (() => void) | undefined;
  private syncedResolve!: () => void;
  readonly synced = new Promise<void>((r) => {
    this.syncedResolve = r;
  });
  private hasSynced = false;

  constructor(
    private readonly client: KubeClient,
    readonly resource: ResourceType<T>,
    private readonly opts: InformerOptions = {},
  ) {}

  onEvent(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get isSynced(): boolean {
    return this.hasSynced;
  }

  /** The cached object (shared: callers must not modify it). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  ownedBy(uid: string): T[] {
    const owned = this.byOwner.get(uid);
    return owned ? [...owned.values()] : [];
  }

  /** Caches an object (or forgets it: obj undefined), keeping the owner index in step. */
  private put(key: string, obj: T | undefined): void {
    const before = controllerUid(this.cache.get(key));
    if (before !== undefined) {
      const owned = this.byOwner.get(before);
      owned?.delete(key);
      if (owned?.size === 0) this.byOwner.delete(before);
    }
    if (obj === undefined) {
      this.cache.delete(key);
      return;
    }
    this.cache.set(key, obj);
    const uid = controllerUid(obj);
    if (uid === undefined) return;
    let owned = this.byOwner.get(uid);
    if (!owned) {
      owned = new Map();
      this.byOwner.set(uid, owned);
    }
    owned.set(key, obj);
  }

  private emit(obj: T, event: InformerEvent, old?: T): void {
    for (const h of this.handlers) {
      try {
        h(obj, event, old);
      } catch (err) {
        this.opts.log?.error({ err }, "informer handler threw");
      }
    }
  }

  private params(): Record<string, string> {
    return this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {};
  }

  /** Lists and reconciles the cache with the result, emitting the differences. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.list(this.resource, this.opts.namespace, this.params());
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const old = this.cache.get(key);
      this.put(key, item);
      if (!old) this.emit(item, "added");
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit(item, "updated", old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.put(key, undefined);
        this.emit(old, "deleted");
      }
    }
    this.resourceVersion = resourceVersion;
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.syncedResolve();
    }
  }

  private apply(ev: WatchEvent): "expired" | undefined {
    if (ev.type === "ERROR") {
      if (ev.object.code === 410) return "expired";
      throw new Error(`watch error: ${ev.object.message ?? JSON.stringify(ev.object)}`);
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (ev.type === "BOOKMARK") return undefined;
    const obj = { apiVersion: ev.object.apiVersion, kind: ev.object.kind, ...ev.object } as T;
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (ev.type === "DELETED") {
      this.put(key, undefined);
      this.emit(obj, "deleted");
    } else {
      this.put(key, obj);
      this.emit(obj, old ? "updated" : "added", old);
    }
    return undefined;
  }

  /** One watch from the current resourceVersion; resolves with why it ended. */
  private async watchOnce(): Promise<"expired" | "stale" | "timeout"> {
    let ended: "expired" | "stale" | undefined;
    let failure: Error | undefined;
    // Events can arrive before watch() has returned its handle: remember an abort asked for until then.
    let abort: (() => void) | undefined;
    let abortRequested = false;
    const requestAbort = () => {
      abortRequested = true;
      abort?.();
    };
    let lastEvent = Date.now();
    const staleAfter = this.opts.staleAfterMs ?? 330_000;
    const handle = await this.client.watch(
      this.resource,
      this.opts.namespace,
      {
        ...this.params(),
        resourceVersion: this.resourceVersion,
        // Jittered server-side timeout, as client-go does, so many watches do not reconnect in lockstep.
        timeoutSeconds: String(240 + Math.floor(Math.random() * 60)),
      },
      (ev) => {
        lastEvent = Date.now();
        if (ended || failure) return;
        try {
          if (this.apply(ev) === "expired") {
            ended = "expired";
            requestAbort();
          }
        } catch (err) {
          // Thrown from a stream callback it would crash the process: end this watch and let run() retry.
          failure = err as Error;
          requestAbort();
        }
      },
    );
    abort = handle.abort;
    if (abortRequested) handle.abort();
    this.abortWatch = handle.abort;
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastEvent > staleAfter) {
          ended = "stale";
          handle.abort();
        }
      },
      Math.min(staleAfter, 5000),
    );
    watchdog.unref();
    try {
      await handle.done;
    } finally {
      clearInterval(watchdog);
      this.abortWatch = undefined;
    }
    if (failure) throw failure;
    return ended ?? "timeout";
  }

  /** Runs until stop(); never throws. */
  async run(): Promise<void> {
    let backoff = 250;
    const maxBackoff = this.opts.maxBackoffMs ?? 30_000;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) await this.relist();
        needList = false;
        const why = await this.watchOnce();
        backoff = 250;
        if (this.stopped) break;
        this.opts.onRestart?.(why);
        if (why === "expired") needList = true;
      } catch (err) {
        if (this.stopped) break;
        const code = (err as { code?: number }).code;
        this.opts.onRestart?.(code === 410 ? "expired" : "error");
        this.opts.log?.warn({ err, resource: this.resource.plural, backoffMs: backoff }, "watch failed; retrying");
        needList = true;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.abortWatch?.();
  }
}

/** What reconcilers need of an informer: a read-only, typed cache of one resource and change notifications. */
export interface ObjectCache<T extends KubeObject = KubeObject> {
  readonly resource: ResourceType<T>;
  get(key: string): T | undefined;
  list(): T[];
  /** The cached objects whose controller owner has this uid (an index, not a scan). */
  ownedBy(uid: string): T[];
  onEvent(handler: InformerHandler<T>): void;
}

/** Informers over several namespaces (or one over all), seen as one cache. */
export class InformerGroup<T extends KubeObject = KubeObject> implements ObjectCache<T> {
  constructor(
    readonly resource: ResourceType<T>,
    readonly members: Informer<T>[],
  ) {}

  get(key: string): T | undefined {
    for (const m of this.members) {
      const v = m.get(key);
      if (v) return v;
    }
    return undefined;
  }

  list(): T[] {
    return this.members.flatMap((m) => m.list());
  }

  ownedBy(uid: string): T[] {
    return this.members.flatMap((m) => m.ownedBy(uid));
  }

  onEvent(handler: InformerHandler<T>): void {
    for (const m of this.members) m.onEvent(handler);
  }

  get isSynced(): boolean {
    return this.members.every((m) => m.isSynced);
  }

  async run(): Promise<void> {
    await Promise.all(this.members.map((m) => m.run()));
  }

  async synced(): Promise<void> {
    await Promise.all(this.members.map((m) => m.synced));
  }

  stop(): void {
    for (const m of this.members) m.stop();
  }
}
