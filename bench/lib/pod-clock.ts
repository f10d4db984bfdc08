// The running seconds of a TrainingSearch's trial pods, polled from the API: each pod counts from the first poll
// that sees it Running until the first poll that no longer does (gone, terminating, or ended). A compute measure
// that does not depend on how often a trial reports its epochs: a trial stopped early counts until its pod is gone.
import type { CoreV1Api } from "@kubernetes/client-node";

export class PodClock {
  private readonly running = new Map<string, number>();
  private ms = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Pods labelled liftoff.dev/trainingjob=<search>-<index>, polled every `everyMs`. */
  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    private readonly search: string,
    private readonly everyMs = 250,
  ) {
    void this.tick();
  }

  /** Pod-seconds so far (pods still running count up to now). */
  seconds(): number {
    const now = performance.now();
    let ms = this.ms;
    for (const since of this.running.values()) ms += now - since;
    return ms / 1000;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const now = performance.now();
    for (const since of this.running.values()) this.ms += now - since;
    this.running.clear();
  }

  private async tick(): Promise<void> {
    try {
      await this.sample();
    } catch {
      // A failed list is one missing sample; the next tick tries again.
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.everyMs);
  }

  private async sample(): Promise<void> {
    const trial = new RegExp(`^${this.search}-\\d+$`);
    const pods = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: "liftoff.dev/trainingjob",
    });
    if (this.stopped) return;
    const now = performance.now();
    const seen = new Set<string>();
    for (const p of pods.items) {
      const name = p.metadata?.name ?? "";
      if (!trial.test(p.metadata?.labels?.["liftoff.dev/trainingjob"] ?? "")) continue;
      if (p.metadata?.deletionTimestamp || p.status?.phase !== "Running") continue;
      seen.add(name);
      if (!this.running.has(name)) this.running.set(name, now);
    }
    for (const [name, since] of this.running) {
      if (seen.has(name)) continue;
      this.ms += now - since;
      this.running.delete(name);
    }
  }
}
