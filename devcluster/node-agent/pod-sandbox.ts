// What a pod's containers share, set up before they run and removed with the pod: its address, its network
// namespace, its folder and volumes, and the renewal of its projected service-account tokens.
import { rmSync, writeFileSync } from "node:fs";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { POD_NETWORK_RETRY, retryDelayMs, VOLUME_RETRY } from "./backoff.js";
import type { NodeShape } from "./config.js";
import { readText } from "./container-files.js";
import { type NodeAllocatable, type PodNetwork as PodAddresses, referencedObjects } from "./env.js";
import type { EventRecorder } from "./events.js";
import type { IpPool } from "./ipam.js";
import { describe, type Kube } from "./kube.js";
import { memoryRoot, mountLinks, rootDir } from "./layout.js";
import type { PodNetwork } from "./netns.js";
import { fetchObjects, linkMounts, makePodDir, type PodObjects, setupVolumes } from "./volumes.js";

export interface SandboxDeps {
  kube: Kube;
  node: NodeShape;
  pool: IpPool;
  /** The pod's own network namespace (netns mode) or nothing to do (loopback). */
  network: PodNetwork;
  events: EventRecorder;
  log(line: string): void;
}

/** What the sandbox reads from the pod worker that owns it. */
export interface SandboxOwner {
  /** The pod object as last seen. */
  pod(): V1Pod;
  /** The pod is being stopped: set-up retries end. */
  stopping(): boolean;
  /** The pod is stopping or finished for good: its tokens need no renewal. */
  done(): boolean;
  /** A wait that the pod's stop cuts short. */
  sleep(ms: number): Promise<void>;
}

/** Projected tokens that could not be renewed are tried again this much later. */
const TOKEN_REFRESH_RETRY_MS = 10_000;

export class PodSandbox {
  /** The pod's IP; kept (and still reported) after it is released. */
  private ip: string | undefined;
  private networkAttached = false;
  private tokenTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: SandboxDeps,
    private readonly owner: SandboxOwner,
    private readonly uid: string,
    /** The pod's folder: volumes, container roots, logs. */
    private readonly dir: string,
  ) {
    // Keep the address an earlier agent gave this pod; claimed now, before new pods allocate.
    const oldIP = owner.pod().status?.podIP;
    if (oldIP && deps.pool.claim(oldIP)) this.ip = oldIP;
  }

  get podIP(): string | undefined {
    return this.ip;
  }

  /** The addresses the pod's env and downward API see. */
  addresses(): PodAddresses {
    return { podIP: this.ip ?? "", hostIP: this.deps.node.address };
  }

  allocatable(): NodeAllocatable {
    return { cpu: this.deps.node.cpu, memory: this.deps.node.memory };
  }

  /** Runs an argv inside the pod's network (identity in loopback mode). */
  readonly wrap = (argv: string[]): string[] => this.deps.network.wrap(this.uid, argv);

  /** The ConfigMaps and Secrets the pod references, read now. */
  fetchObjects(): Promise<PodObjects> {
    const pod = this.owner.pod();
    return fetchObjects(this.deps.kube, pod.metadata?.namespace ?? "default", referencedObjects(pod));
  }

  allocateAddress(): void {
    if (!this.ip) this.ip = this.deps.pool.allocate();
  }

  /** A recreated pod with the same name (StatefulSet) starts from empty folders; logs are kept. */
  resetFoldersOfEarlierPod(): void {
    makePodDir(this.dir);
    const file = `${this.dir}/.uid`;
    let old = "";
    try {
      old = readText(file, 100);
    } catch {
      // first run here
    }
    if (old !== this.uid) {
      this.removeFolders();
      writeFileSync(file, this.uid);
    }
  }

  /** The pod's network namespace, retried with back-off (containers stay ContainerCreating meanwhile). */
  async attachNetwork(): Promise<boolean> {
    for (let attempt = 0; !this.owner.stopping(); attempt++) {
      try {
        await this.deps.network.attach(this.uid, this.ip ?? "");
        this.networkAttached = true;
        if (!this.owner.stopping()) return true;
        // Stopped meanwhile: its clean-up may already have run.
        this.networkAttached = false;
        await this.deps.network.detach(this.uid);
        return false;
      } catch (err) {
        this.deps.log(`pod ${this.name}: setting up its network namespace failed (retrying): ${describe(err)}`);
        await this.owner.sleep(retryDelayMs(attempt, POD_NETWORK_RETRY));
      }
    }
    return false;
  }

  /**
   * Makes the volumes and links them into each container's root, retrying until they exist; each failure is shown
   * as the kubelet does (a FailedMount event when the message changes; `onFailure` shows it on the containers).
   */
  async prepareVolumes(containers: V1Container[], onFailure: (message: string) => void): Promise<boolean> {
    let lastMessage = "";
    for (let attempt = 0; !this.owner.stopping(); attempt++) {
      try {
        const setup = await this.setupVolumes();
        for (const c of containers) {
          const root = rootDir(this.dir, c.name);
          linkMounts(root, mountLinks(root, c.volumeMounts ?? [], setup.folders));
        }
        if (setup.refreshAt !== undefined) this.scheduleTokenRefresh(setup.refreshAt);
        return true;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== lastMessage) {
          this.deps.events.record(this.owner.pod(), this.deps.node.name, "Warning", "FailedMount", message);
          lastMessage = message;
        }
        onFailure(message);
        await this.owner.sleep(retryDelayMs(attempt, VOLUME_RETRY));
      }
    }
    return false;
  }

  stopTokenRefresh(): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
  }

  /** Frees the address and the network namespace; the pod's folders stay. */
  releaseAddress(): void {
    if (this.ip) this.deps.pool.release(this.ip);
    if (this.networkAttached) {
      this.networkAttached = false;
      void this.deps.network.detach(this.uid);
    }
  }

  /** The pod is gone: everything but its logs goes too. */
  remove(): void {
    this.stopTokenRefresh();
    this.releaseAddress();
    // Volumes and roots go with the pod (memory-backed ones too); logs stay for post-mortems.
    this.removeFolders();
    rmSync(`${this.dir}/.uid`, { force: true });
  }

  private removeFolders(): void {
    rmSync(memoryRoot(this.dir), { recursive: true, force: true });
    rmSync(`${this.dir}/volumes`, { recursive: true, force: true });
    rmSync(`${this.dir}/roots`, { recursive: true, force: true });
  }

  private async setupVolumes() {
    const objects = await this.fetchObjects();
    return setupVolumes(this.deps.kube, this.owner.pod(), this.dir, objects, this.addresses(), this.allocatable());
  }

  /** Projected service-account tokens are renewed at 80% of their life, like the kubelet does. */
  private scheduleTokenRefresh(at: number): void {
    this.stopTokenRefresh();
    this.tokenTimer = setTimeout(
      async () => {
        if (this.owner.done()) return;
        try {
          const setup = await this.setupVolumes();
          if (setup.refreshAt !== undefined) this.scheduleTokenRefresh(setup.refreshAt);
        } catch (err) {
          this.deps.log(`pod ${this.name}: token refresh failed, retrying in 10s: ${describe(err)}`);
          this.scheduleTokenRefresh(Date.now() + TOKEN_REFRESH_RETRY_MS);
        }
      },
      Math.max(0, at - Date.now()),
    );
    this.tokenTimer.unref();
  }

  private get name(): string {
    const pod = this.owner.pod();
    return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  }
}
