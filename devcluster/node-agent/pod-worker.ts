// Plays kubelet for one pod: sets up its sandbox (pod-sandbox.ts), runs init containers then containers, each under
// its own supervisor (container-supervisor.ts), reports the pod's status, and handles deletion and shutdown.
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { type ContainerPlan, planContainer } from "./container-plan.js";
import { containerRole, hasSucceeded, initialRecord } from "./container-state.js";
import { ContainerSupervisor } from "./container-supervisor.js";
import type { LocalImage } from "./images.js";
import { describe, httpStatus } from "./kube.js";
import { logFile, podDir, rootDir } from "./layout.js";
import { PodSandbox, type SandboxDeps } from "./pod-sandbox.js";
import { stopInSteps } from "./process.js";
import { Sleeper } from "./sleeper.js";
import { podStatus, timestamp } from "./status.js";
import { PodStatusWriter } from "./status-writer.js";
import { deletionGraceSeconds, KILL_SETTLE_MS, stopSteps } from "./termination.js";

export interface WorkerDeps extends SandboxDeps {
  images: LocalImage[];
  podsDir: string;
  /** Marks container processes as this agent's, so a restarted agent can find orphans. */
  stateDir: string;
  apiserverHost: string;
  apiserverPort: string;
}

export class PodWorker {
  readonly uid: string;
  private pod: V1Pod;
  /** The pod's folder: volumes, container roots, logs. */
  private readonly dir: string;
  private readonly startTime = timestamp();
  private readonly sandbox: PodSandbox;
  private sandboxReady = false;
  private readonly initContainers: ContainerSupervisor[];
  private readonly containers: ContainerSupervisor[];
  /** Deletion, force-deletion or agent shutdown: nothing new starts, nothing restarts. */
  private stopping = false;
  /** The pod object is gone or the agent is stopping: no more status writes or events. */
  private silenced = false;
  /** Every container is done for good (Job-style pods): the pod is terminal. */
  private finished = false;
  private readonly sleeper = new Sleeper();
  private readonly statusWriter: PodStatusWriter;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    pod: V1Pod,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? "";
    this.dir = podDir(deps.podsDir, pod.metadata?.namespace ?? "default", pod.metadata?.name ?? "");
    const prior = new Map(
      [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [s.name, s]),
    );
    const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
    // Claims the pod's old address now, before new pods allocate.
    this.sandbox = new PodSandbox(
      deps,
      {
        pod: () => this.pod,
        stopping: () => this.stopping,
        done: () => this.stopping || this.finished,
        sleep: (ms) => this.sleeper.sleep(ms),
      },
      this.uid,
      this.dir,
    );
    const supervisor = (spec: V1Container, isInit: boolean) => {
      const role = containerRole(spec, isInit);
      return new ContainerSupervisor(spec, role, initialRecord(spec, role, hasInit, prior.get(spec.name)), {
        pod: () => this.pod,
        stopping: () => this.stopping,
        sleep: (ms) => this.sleeper.sleep(ms),
        markDirty: () => this.markDirty(),
        event: (type, reason, message, fieldPath) => this.event(type, reason, message, fieldPath),
        podIP: () => this.sandbox.podIP ?? "",
        plan: (container) => this.plan(container),
        logPath: (container) => logFile(this.dir, container),
        wrap: this.sandbox.wrap,
      });
    };
    this.initContainers = (pod.spec?.initContainers ?? []).map((c) => supervisor(c, true));
    this.containers = (pod.spec?.containers ?? []).map((c) => supervisor(c, false));
    this.statusWriter = new PodStatusWriter({
      kube: deps.kube,
      log: deps.log,
      pod: () => this.pod,
      gone: () => this.silenced,
      status: () => {
        const podIP = this.sandbox.podIP;
        return podStatus({
          pod: this.pod,
          ...(podIP ? { podIP } : {}),
          hostIP: this.deps.node.address,
          startTime: this.pod.status?.startTime ? timestamp(new Date(this.pod.status.startTime)) : this.startTime,
          sandboxReady: this.sandboxReady,
          init: this.initContainers.map((c) => c.record),
          containers: this.containers.map((c) => c.record),
        });
      },
    });
  }

  get name(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  get isFinished(): boolean {
    return this.finished || this.silenced;
  }

  start(): void {
    this.running = this.run().catch((err: unknown) =>
      this.deps.log(`pod ${this.name}: worker failed: ${describe(err)}`),
    );
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    this.statusWriter.observed();
    if (pod.metadata?.deletionTimestamp && !this.stopping) void this.terminate(deletionGraceSeconds(pod));
  }

  /** The pod object is gone (force-deleted): stop at once, write nothing more. */
  async kill(): Promise<void> {
    this.silenced = true;
    this.stopping = true;
    this.sleeper.wakeAll();
    for (const c of this.all) c.running?.kill("SIGKILL");
    await this.running;
    this.sandbox.remove();
  }

  /** Shutdown of the agent itself: stop the processes, leave the pod object alone. */
  async stopProcesses(graceMs: number): Promise<void> {
    this.silenced = true;
    this.stopping = true;
    this.sleeper.wakeAll();
    await stopInSteps(
      this.aliveProcesses().map((c) => c.process),
      stopSteps(graceMs),
    );
    this.sandbox.releaseAddress();
  }

  markDirty(): void {
    this.statusWriter.markDirty();
  }

  // ---- lifecycle ----

  private async run(): Promise<void> {
    // Let every pod of the first list claim its old address before any new one is handed out.
    await new Promise((r) => setImmediate(r));
    if (this.stopping) return;
    this.sandbox.allocateAddress();
    this.sandbox.resetFoldersOfEarlierPod();
    this.markDirty();
    if (!(await this.sandbox.attachNetwork())) return;
    const mounted = await this.sandbox.prepareVolumes(
      this.all.map((c) => c.spec),
      (message) => {
        for (const c of this.all) c.record.state = { waiting: { reason: "ContainerCreating", message } };
        this.markDirty();
      },
    );
    if (!mounted) return;
    this.sandboxReady = true;
    this.markDirty();
    const sidecars: Promise<void>[] = [];
    for (const c of this.initContainers) {
      if (c.role === "sidecar") {
        // A native sidecar starts, and the next init container follows once it has started; it keeps running
        // beside the containers.
        sidecars.push(c.supervise());
        if (!(await c.untilStarted())) return this.finish();
        continue;
      }
      if (hasSucceeded(c.record.state)) continue;
      if (!(await c.runToSuccess())) return this.finish();
    }
    for (const c of this.containers) {
      if ("waiting" in c.record.state) c.record.state = { waiting: { reason: "ContainerCreating" } };
    }
    await Promise.all(this.containers.map((c) => c.supervise()));
    // The containers are done for good: sidecars are stopped, as the kubelet does for Job pods.
    for (const c of this.initContainers) if (c.role === "sidecar") c.retire();
    this.sleeper.wakeAll();
    await Promise.all(sidecars);
    this.finish();
  }

  private finish(): void {
    if (this.stopping) return;
    // All containers are done for good (Job-style pods): the pod is terminal, its address free again.
    this.finished = true;
    this.sandbox.stopTokenRefresh();
    this.markDirty();
    this.sandbox.releaseAddress();
  }

  /** Graceful deletion: SIGTERM, up to `graceSeconds`, SIGKILL, final status, then release the pod object. */
  private async terminate(graceSeconds: number): Promise<void> {
    this.stopping = true;
    this.sleeper.wakeAll();
    const alive = this.aliveProcesses();
    for (const c of alive) this.event("Normal", "Killing", `Stopping container ${c.name}`, c.fieldPath);
    await stopInSteps(
      alive.map((c) => c.process),
      stopSteps(graceSeconds * 1000, KILL_SETTLE_MS),
    );
    await this.running;
    if (this.silenced) return;
    this.markDirty();
    await this.statusWriter.settled();
    this.sandbox.remove();
    try {
      await this.deps.kube.core.deleteNamespacedPod({
        name: this.pod.metadata?.name ?? "",
        namespace: this.pod.metadata?.namespace ?? "default",
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409)
        this.deps.log(`pod ${this.name}: delete failed: ${describe(err)}`);
    }
    this.silenced = true;
  }

  // ---- helpers ----

  private get all(): ContainerSupervisor[] {
    return [...this.initContainers, ...this.containers];
  }

  /** The containers whose process is running now, with that process. */
  private aliveProcesses() {
    return this.all.flatMap((c) => {
      const process = c.running;
      return process?.alive() ? [{ name: c.name, fieldPath: c.fieldPath, process }] : [];
    });
  }

  /** Builds what a container run needs; throws ImagePullError or ContainerConfigError. */
  private async plan(container: V1Container): Promise<ContainerPlan> {
    const objects = await this.sandbox.fetchObjects();
    return planContainer({
      pod: this.pod,
      container,
      images: this.deps.images,
      objects: objects.strings,
      place: {
        root: rootDir(this.dir, container.name),
        podIP: this.sandbox.podIP ?? "",
        apiserverHost: this.deps.network.gateway ?? this.deps.apiserverHost,
        apiserverPort: this.deps.apiserverPort,
      },
      net: this.sandbox.addresses(),
      allocatable: this.sandbox.allocatable(),
      nodeName: this.deps.node.name,
      stateDir: this.deps.stateDir,
      wrap: this.sandbox.wrap,
    });
  }

  private event(type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string): void {
    if (this.silenced) return;
    this.deps.events.record(this.pod, this.deps.node.name, type, reason, message, fieldPath);
  }
}
