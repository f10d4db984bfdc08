// The suite's stand-in for kube-proxy: the local cluster has no ClusterIP routing, so the load generator picks pods
// itself, from the Service's ready endpoints re-read every second (kube-proxy's default minSyncPeriod), round robin.
// A pod leaves the rotation only when the endpoints say so, as it would behind a real Service.
import type { KubeConfig } from "@kubernetes/client-node";
import { type Endpoint, readyEndpoints } from "../../devcluster/node-agent/service-endpoint.js";

export class EndpointPool {
  private endpoints: Endpoint[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  /** Times (performance.now()) and sizes of every change, to read recovery from. */
  readonly changes: { at: number; pods: string[] }[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly service: string,
    private readonly periodMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const eps = await readyEndpoints(this.kc, this.namespace, this.service, "http");
      const before = this.endpoints.map((e) => e.url).join(",");
      this.endpoints = eps;
      if (eps.map((e) => e.url).join(",") !== before) {
        this.changes.push({ at: performance.now(), pods: eps.map((e) => e.pod ?? e.url) });
      }
    } catch {
      // API server away (the control-plane fault): keep the last known endpoints, as kube-proxy does.
    } finally {
      this.refreshing = false;
    }
  }

  /** The next endpoint, or undefined when none is ready. */
  pick(): Endpoint | undefined {
    if (this.endpoints.length === 0) return undefined;
    this.next = (this.next + 1) % this.endpoints.length;
    return this.endpoints[this.next];
  }

  size(): number {
    return this.endpoints.length;
  }
}
