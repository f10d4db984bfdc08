// Wires the agent together: nodes, the pod informer feeding one PodWorker per pod, and the provisioner.
import type { V1Pod } from "@kubernetes/client-node";
import { NODE_REGISTRATION_RETRY, retryDelayMs } from "./backoff.js";
import type { AgentConfig, NodeShape } from "./config.js";
import { EventRecorder } from "./events.js";
import { defaultImages, type LocalImage } from "./images.js";
import { SupervisedInformer } from "./informer.js";
import { IpPool } from "./ipam.js";
import { describe, httpStatus, type Kube } from "./kube.js";
import type { PodNetwork } from "./netns.js";
import { NodeKeeper } from "./nodes.js";
import { PodWorker, type WorkerDeps } from "./pod-worker.js";
import { Provisioner } from "./provisioner.js";
import { pytorchPython } from "./pytorch-venv.js";

const RESYNC_MS = 30_000;

export class NodeAgent {
  readonly nodes: NodeKeeper;
  private readonly provisioner: Provisioner;
  private readonly pods: SupervisedInformer<V1Pod>;
  private readonly workers = new Map<string, PodWorker>();
  /** UIDs whose pod object the agent already asked to remove (finalizers may keep it a while). */
  private readonly released = new Set<string>();
  private readonly shapes: Map<string, NodeShape>;
  private readonly pools = new Map<string, IpPool>();
  private readonly events: EventRecorder;
  private readonly images: LocalImage[];
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly cfg: AgentConfig,
    private readonly log: (line: string) => void,
    readonly network: PodNetwork,
  ) {
    this.shapes = new Map(cfg.nodes.map((n) => [n.name, n]));
    for (const n of cfg.nodes) this.pools.set(n.name, IpPool.fromCIDR(n.podCIDR));
    this.nodes = new NodeKeeper(kube, cfg.nodes, log, cfg.kubeletPort);
    this.provisioner = new Provisioner(kube, cfg.volumesDir, log);
    this.events = new EventRecorder(kube, log);
    this.images = defaultImages(cfg.repoRoot, pytorchPython(cfg.repoRoot, log));
    this.pods = new SupervisedInformer<V1Pod>(
      kube.kc,
      "/api/v1/pods",
      () => kube.core.listPodForAllNamespaces(),
      { upsert: (p) => this.onPod(p), remove: (p) => this.onPodGone(p) },
      "pod",
      log,
    );
  }

  /** Registers the nodes (retrying until the API server answers), then starts watching pods and claims. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.nodes.register();
        await this.provisioner.ensureStorageClass();
        break;
      } catch (err) {
        this.log(`registering nodes failed (retrying): ${describe(err)}`);
        await new Promise((r) => setTimeout(r, retryDelayMs(attempt, NODE_REGISTRATION_RETRY)));
      }
    }
    this.nodes.start();
    this.provisioner.start();
    this.pods.start();
    this.resyncTimer = setInterval(() => this.resync(), RESYNC_MS);
  }

  get podCount(): number {
    return [...this.workers.values()].filter((w) => !w.isFinished).length;
  }

  /** Agent shutdown: stop every container process (pod objects stay, as when a kubelet stops). */
  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.pods.stop();
    this.provisioner.stop();
    this.nodes.stop();
    await Promise.all([...this.workers.values()].map((w) => w.stopProcesses(3000)));
    await this.network.destroy();
  }

  private onPod(pod: V1Pod): void {
    const nodeName = pod.spec?.nodeName;
    const shape = nodeName ? this.shapes.get(nodeName) : undefined;
    const uid = pod.metadata?.uid;
    if (!shape || !uid || !nodeName) return;
    const worker = this.workers.get(uid);
    if (worker) {
      if (worker.isFinished && pod.metadata?.deletionTimestamp) {
        this.workers.delete(uid);
        void this.release(pod);
      } else {
        worker.update(pod);
      }
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // Nothing runs for it here (finished, or from before an agent restart): let it go.
      void this.release(pod);
      return;
    }
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
    const deps: WorkerDeps = {
      kube: this.kube,
      node: shape,
      pool: this.pools.get(nodeName) as IpPool,
      network: this.network,
      images: this.images,
      events: this.events,
      podsDir: this.cfg.podsDir,
      stateDir: this.cfg.stateDir,
      apiserverHost: new URL(this.kube.server).hostname,
      apiserverPort: new URL(this.kube.server).port || "443",
      log: this.log,
    };
    const w = new PodWorker(deps, pod);
    this.workers.set(uid, w);
    w.start();
  }

  private onPodGone(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? "";
    const worker = this.workers.get(uid);
    this.workers.delete(uid);
    this.released.delete(uid);
    if (worker) void worker.kill();
  }

  private async release(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    if (this.released.has(uid)) return;
    this.released.add(uid);
    try {
      await this.kube.core.deleteNamespacedPod({
        name: pod.metadata?.name ?? "",
        namespace: pod.metadata?.namespace ?? "default",
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409) {
        this.released.delete(uid);
        this.log(`releasing pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed: ${describe(err)}`);
      }
    }
  }

  /** Safety net for missed events: re-applies the cache and drops workers whose pods vanished. */
  private resync(): void {
    const cached = this.pods.list();
    const live = new Set(cached.map((p) => p.metadata?.uid));
    for (const p of cached) this.onPod(p);
    for (const [uid, w] of this.workers) {
      if (!live.has(uid) && cached.length > 0) {
        this.workers.delete(uid);
        void w.kill();
      }
    }
    this.provisioner.resync();
  }
}
