// Records core/v1 Events on objects, deduplicated: the same (object, type, reason, message) is created once and
// then only has its count bumped, at most once a minute, so a hot error path cannot flood the API server.
import { createHash } from "node:crypto";
import type { KubeClient } from "../kube/client.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";

export type EventType = "Normal" | "Warning";

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastWritten: number;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly now: () => Date = () => new Date(),
    private readonly minIntervalMs = 60_000,
  ) {}

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    if (!m.namespace || !m.name || !m.uid) return;
    const hash = createHash("sha256").update(`${m.uid}|${type}|${reason}|${message}`).digest("hex").slice(0, 12);
    const now = this.now();
    const prior = this.seen.get(hash);
    const ev = RESOURCES.Event;
    if (prior) {
      prior.count += 1;
      if (now.getTime() - prior.lastWritten < this.minIntervalMs) return;
      prior.lastWritten = now.getTime();
      await this.client
        .mergePatch(ev, prior.namespace, prior.name, { count: prior.count, lastTimestamp: now.toISOString() })
        .catch(() => this.seen.delete(hash)); // the event expired (TTL): write a new one next time
      return;
    }
    const name = `${m.name}.${hash}`;
    const event = {
      apiVersion: apiVersionOf(ev),
      kind: "Event",
      metadata: { name, namespace: m.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
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
    this.seen.set(hash, {
      name,
      namespace: m.namespace,
      count: 1,
      lastWritten: now.getTime(),
    });
    try {
      await this.client.create(ev, event);
    } catch {
      // Same name already exists (another replica, or a restart): count it from the server's copy next time.
    }
  }
}
