// Records core/v1 Events on objects, deduplicated: the same (object, type, reason, message) is created once and
// then only has its count bumped, at most once a minute, so a hot error path cannot flood the API server.
// The de-duplication memory is a bounded LRU (client-go's event correlator keeps 4096 entries too). Recording never
// fails a reconcile: an Event is advice, so API errors are logged and dropped.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import type { Event } from "../kube/models.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import type { Permission } from "../rbac.js";

export type EventType = "Normal" | "Warning";

/** A new Event is created; a repeated one has its count bumped with a merge patch. */
export const EVENT_PERMISSIONS: readonly Permission[] = [{ resource: RESOURCES.Event, verbs: ["create", "patch"] }];

export interface EventRecorderOptions {
  now?: () => Date;
  /** Least time between two count updates of the same event. */
  minIntervalMs?: number;
  /** Distinct events remembered; the least recently recorded is forgotten first. */
  maxEntries?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastWritten: number;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly now: () => Date;
  private readonly minIntervalMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
    opts: EventRecorderOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.minIntervalMs = opts.minIntervalMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 4096;
  }

  /** Distinct events remembered now (at most maxEntries). */
  get size(): number {
    return this.seen.size;
  }

  /** Looks an event up and marks it most recently used (a Map iterates in insertion order). */
  private touch(hash: string): Seen | undefined {
    const prior = this.seen.get(hash);
    if (prior) {
      this.seen.delete(hash);
      this.seen.set(hash, prior);
    }
    return prior;
  }

  private remember(hash: string, seen: Seen): void {
    this.seen.set(hash, seen);
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    if (!m.namespace || !m.name || !m.uid) return;
    const hash = createHash("sha256").update(`${m.uid}|${type}|${reason}|${message}`).digest("hex").slice(0, 12);
    const now = this.now();
    const prior = this.touch(hash);
    const ev = RESOURCES.Event;
    if (prior) {
      prior.count += 1;
      if (now.getTime() - prior.lastWritten < this.minIntervalMs) return;
      prior.lastWritten = now.getTime();
      try {
        await this.client.mergePatch(ev, prior.namespace, prior.name, {
          count: prior.count,
          lastTimestamp: now.toISOString(),
        });
      } catch (err) {
        // 404: the Event expired (its TTL); write a new one next time. Anything else: say so and carry on.
        if (err instanceof KubeApiError && err.code === 404) this.seen.delete(hash);
        else this.log.warn({ err, event: prior.name }, "could not update event");
      }
      return;
    }
    const name = `${m.name}.${hash}`;
    const event: Event = {
      apiVersion: apiVersionOf(ev),
      kind: ev.kind,
      metadata: { name, namespace: m.namespace },
      involvedObject: {
        ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
        ...(obj.kind ? { kind: obj.kind } : {}),
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    };
    this.remember(hash, { name, namespace: m.namespace, count: 1, lastWritten: now.getTime() });
    try {
      await this.client.create(ev, event);
    } catch (err) {
      // 409: the same name exists (another replica, or before a restart): count on from the server's copy.
      if (err instanceof KubeApiError && err.code === 409) return;
      this.seen.delete(hash); // not written: try a fresh create next time
      this.log.warn({ err, event: name }, "could not record event");
    }
  }
}
