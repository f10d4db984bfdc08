// Plays kubelet for one pod: sets up its address and volumes, runs init containers then containers,
// restarts them per restartPolicy with back-off, runs probes, reports status, and handles deletion.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { BACKOFF_RESET_AFTER_MS, type RestartPolicy, restartDelayMs, shouldRestart } from "./backoff.js";
import type { NodeShape } from "./config.js";
import { fileSize, readText, terminationMessage } from "./container-files.js";
import { type ContainerPlan, ImagePullError, planContainer } from "./container-plan.js";
import { ContainerConfigError, referencedObjects } from "./env.js";
import type { EventRecorder } from "./events.js";
import type { LocalImage } from "./images.js";
import type { IpPool } from "./ipam.js";
import { describe, httpStatus, type Kube } from "./kube.js";
import { logFile, memoryRoot, mountLinks, podDir, rootDir } from "./layout.js";
import type { PodNetwork } from "./netns.js";
import { type ProbeContext, type ProbeLoop, startContainerProbes } from "./probes.js";
import { type Exit, type RunningProcess, startProcess } from "./process.js";
import { type ContainerRecord, podStatus, type Terminated, timestamp } from "./status.js";
import { PodStatusWriter } from "./status-writer.js";
import { MountError } from "./volume-files.js";
import { fetchObjects, linkMounts, setupVolumes } from "./volumes.js";

export interface WorkerDeps {
  kube: Kube;
  node: NodeShape;
  pool: IpPool;
  /** The pod's own network namespace (netns mode) or nothing to do (loopback). */
  network: PodNetwork;
  images: LocalImage[];
  events: EventRecorder;
  podsDir: string;
  /** Marks container processes as this agent's, so a restarted agent can find orphans. */
  stateDir: string;
  apiserverHost: string;
  apiserverPort: string;
  log(line: string): void;
}

interface Slot {
  spec: V1Container;
  rec: ContainerRecord;
  proc?: RunningProcess;
  probes: ProbeLoop[];
  backoffStep: number;
  killReason?: string;
  /** A sidecar being stopped because the pod's containers finished: not restarted. */
  stopping?: boolean;
}

export class PodWorker {
  readonly uid: string;
  private pod: V1Pod;
  private readonly dir: string;
  private readonly startTime = timestamp();
  private ip: string | undefined;
  private sandboxReady = false;
  private networkAttached = false;
  private readonly init: Slot[];
  private readonly main: Slot[];
  private folders = new Map<string, string>();
  private terminating = false;
  private gone = false;
  private finished = false;
  private readonly sleepers = new Set<() => void>();
  private readonly statusWriter: PodStatusWriter;
  private tokenTimer: NodeJS.Timeout | undefined;
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
    const slot = (spec: V1Container, isInit: boolean): Slot => {
      const old = prior.get(spec.name);
      // An init container that already succeeded (before an agent restart) is not run again.
      const doneInit = isInit && old?.state?.terminated?.exitCode === 0;
      return {
        spec,
        probes: [],
        backoffStep: 0,
        rec: {
          name: spec.name,
          image: spec.image ?? "",
          state: doneInit
            ? { terminated: { ...(old?.state?.terminated as unknown as Terminated) } }
            : { waiting: { reason: hasInit ? "PodInitializing" : "ContainerCreating" } },
          restartCount: old?.restartCount ?? 0,
          ready: false,
          started: false,
          ...(isInit && spec.restartPolicy === "Always" ? { sidecar: true } : {}),
        },
      };
    };
    this.init = (pod.spec?.initContainers ?? []).map((c) => slot(c, true));
    this.main = (pod.spec?.containers ?? []).map((c) => slot(c, false));
    // Keep the address an earlier agent gave this pod; claimed now, before new pods allocate.
    const oldIP = pod.status?.podIP;
    if (oldIP && deps.pool.claim(oldIP)) this.ip = oldIP;
    this.statusWriter = new PodStatusWriter({
      kube: deps.kube,
      log: deps.log,
      pod: () => this.pod,
      gone: () => this.gone,
      status: () =>
        podStatus({
          pod: this.pod,
          ...(this.ip ? { podIP: this.ip } : {}),
          hostIP: this.deps.node.address,
          startTime: this.pod.status?.startTime ? timestamp(new Date(this.pod.status.startTime)) : this.startTime,
          sandboxReady: this.sandboxReady,
          init: this.init.map((s) => s.rec),
          containers: this.main.map((s) => s.rec),
        }),
    });
  }

  get name(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  get isFinished(): boolean {
    return this.finished || this.gone;
  }

  start(): void {
    this.running = this.run().catch((err: unknown) =>
      this.deps.log(`pod ${this.name}: worker failed: ${describe(err)}`),
    );
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace);
    }
  }

  /** The pod object is gone (force-deleted): stop at once, write nothing more. */
  async kill(): Promise<void> {
    this.gone = true;
    this.terminating = true;
    this.wakeAll();
    for (const s of [...this.init, ...this.main]) s.proc?.kill("SIGKILL");
    await this.running;
    this.cleanup();
  }

  /** Shutdown of the agent itself: stop the processes, leave the pod object alone. */
  async stopProcesses(graceMs: number): Promise<void> {
    this.gone = true;
    this.terminating = true;
    this.wakeAll();
    const procs = [...this.init, ...this.main].flatMap((s) => (s.proc?.alive() ? [s.proc] : []));
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), delay(graceMs)]);
    for (const p of procs) p.kill("SIGKILL");
    this.releaseIP();
  }

  // ---- lifecycle ----

  private async run(): Promise<void> {
    // Let every pod of the first list claim its old address before any new one is handed out.
    await new Promise((r) => setImmediate(r));
    if (this.terminating) return;
    if (!this.ip) this.ip = this.deps.pool.allocate();
    this.markUidFolder();
    this.markDirty();
    if (!(await this.attachNetwork())) return;
    if (!(await this.prepareVolumes())) return;
    this.sandboxReady = true;
    this.markDirty();
    const sidecars: Promise<void>[] = [];
    for (const slot of this.init) {
      if (slot.rec.sidecar) {
        // A native sidecar (init container with restartPolicy Always) starts, and the next one follows once
        // it has started; it keeps running beside the containers.
        sidecars.push(this.supervise(slot));
        if (!(await this.untilStarted(slot))) return this.finish();
        continue;
      }
      if ("terminated" in slot.rec.state && slot.rec.state.terminated.exitCode === 0) continue;
      if (!(await this.runInit(slot))) return this.finish();
    }
    for (const s of this.main) if ("waiting" in s.rec.state) s.rec.state = { waiting: { reason: "ContainerCreating" } };
    await Promise.all(this.main.map((s) => this.supervise(s)));
    // The containers are done for good: sidecars are stopped, as the kubelet does for Job pods.
    for (const s of this.init) {
      if (!s.rec.sidecar) continue;
      s.stopping = true;
      s.proc?.kill("SIGTERM");
    }
    this.wakeAll();
    await Promise.all(sidecars);
    this.finish();
  }

  private async untilStarted(slot: Slot): Promise<boolean> {
    while (!this.terminating) {
      if (slot.rec.started && "running" in slot.rec.state) return true;
      await this.sleep(100);
    }
    return false;
  }

  private finish(): void {
    if (this.terminating) return;
    // All containers are done for good (Job-style pods): the pod is terminal, its address free again.
    this.finished = true;
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.markDirty();
    this.releaseIP();
  }

  /** The pod's network namespace, retried with back-off (containers stay ContainerCreating meanwhile). */
  private async attachNetwork(): Promise<boolean> {
    for (let wait = 1000; !this.terminating; wait = Math.min(wait * 2, 30_000)) {
      try {
        await this.deps.network.attach(this.uid, this.ip ?? "");
        this.networkAttached = true;
        if (!this.terminating) return true;
        // Stopped meanwhile: its clean-up may already have run.
        this.networkAttached = false;
        await this.deps.network.detach(this.uid);
        return false;
      } catch (err) {
        this.deps.log(`pod ${this.name}: setting up its network namespace failed (retrying): ${describe(err)}`);
        await this.sleep(wait);
      }
    }
    return false;
  }

  /** A recreated pod with the same name (StatefulSet) starts from empty folders; logs are kept. */
  private markUidFolder(): void {
    mkdirSync(this.dir, { recursive: true });
    const file = `${this.dir}/.uid`;
    let old = "";
    try {
      old = readText(file, 100);
    } catch {
      // first run here
    }
    if (old !== this.uid) {
      rmSync(memoryRoot(this.dir), { recursive: true, force: true });
      rmSync(`${this.dir}/volumes`, { recursive: true, force: true });
      rmSync(`${this.dir}/roots`, { recursive: true, force: true });
      writeFileSync(file, this.uid);
    }
  }

  /** Runs an argv inside the pod's network (identity in loopback mode). */
  private readonly wrap = (argv: string[]): string[] => this.deps.network.wrap(this.uid, argv);

  private net() {
    return { podIP: this.ip ?? "", hostIP: this.deps.node.address };
  }

  private allocatable() {
    return { cpu: this.deps.node.cpu, memory: this.deps.node.memory };
  }

  /** Retries until the volumes exist, showing the failure as the kubelet does (ContainerCreating + FailedMount). */
  private async prepareVolumes(): Promise<boolean> {
    let wait = 1000;
    let lastMessage = "";
    while (!this.terminating) {
      try {
        const objects = await fetchObjects(this.deps.kube, this.ns, referencedObjects(this.pod));
        const setup = await setupVolumes(this.deps.kube, this.pod, this.dir, objects, this.net(), this.allocatable());
        this.folders = setup.folders;
        for (const s of [...this.init, ...this.main]) {
          linkMounts(
            rootDir(this.dir, s.spec.name),
            mountLinks(rootDir(this.dir, s.spec.name), s.spec.volumeMounts ?? [], this.folders),
          );
        }
        if (setup.refreshAt !== undefined) this.scheduleTokenRefresh(setup.refreshAt);
        return true;
      } catch (err) {
        const message = err instanceof MountError || err instanceof Error ? err.message : String(err);
        if (message !== lastMessage) {
          this.deps.events.record(this.pod, this.deps.node.name, "Warning", "FailedMount", message);
          lastMessage = message;
        }
        for (const s of [...this.init, ...this.main]) {
          s.rec.state = { waiting: { reason: "ContainerCreating", message } };
        }
        this.markDirty();
        await this.sleep(wait);
        wait = Math.min(wait * 2, 16_000);
      }
    }
    return false;
  }

  /** Projected service-account tokens are renewed at 80% of their life, like the kubelet does. */
  private scheduleTokenRefresh(at: number): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.tokenTimer = setTimeout(
      async () => {
        if (this.terminating || this.finished) return;
        try {
          const objects = await fetchObjects(this.deps.kube, this.ns, referencedObjects(this.pod));
          const setup = await setupVolumes(this.deps.kube, this.pod, this.dir, objects, this.net(), this.allocatable());
          if (setup.refreshAt !== undefined) this.scheduleTokenRefresh(setup.refreshAt);
        } catch (err) {
          this.deps.log(`pod ${this.name}: token refresh failed, retrying in 10s: ${describe(err)}`);
          this.scheduleTokenRefresh(Date.now() + 10_000);
        }
      },
      Math.max(0, at - Date.now()),
    );
    this.tokenTimer.unref();
  }

  private get policy(): RestartPolicy {
    return (this.pod.spec?.restartPolicy ?? "Always") as RestartPolicy;
  }

  private get ns(): string {
    return this.pod.metadata?.namespace ?? "default";
  }

  /** Runs one init container until it succeeds; false when the pod cannot go on. */
  private async runInit(slot: Slot): Promise<boolean> {
    while (!this.terminating) {
      const t = await this.runOnce(slot);
      if (!t) return false;
      if (t.exitCode === 0) return true;
      // restartPolicy Never: a failed init container fails the pod; otherwise it is retried with back-off.
      if (this.policy === "Never" || !(await this.backoff(slot, t))) return false;
    }
    return false;
  }

  private async supervise(slot: Slot): Promise<void> {
    while (!this.terminating && !slot.stopping) {
      const t = await this.runOnce(slot);
      if (!t || this.terminating || slot.stopping) return;
      if (!shouldRestart(slot.rec.sidecar ? "Always" : this.policy, t.exitCode)) return;
      if (!(await this.backoff(slot, t))) return;
    }
  }

  /** Waits out the restart back-off showing CrashLoopBackOff; false if the pod is being stopped meanwhile. */
  private async backoff(slot: Slot, t: Terminated): Promise<boolean> {
    const ran = Date.parse(t.finishedAt) - Date.parse(t.startedAt ?? t.finishedAt);
    if (ran >= BACKOFF_RESET_AFTER_MS) slot.backoffStep = 0;
    const wait = restartDelayMs(slot.backoffStep, ran);
    slot.backoffStep++;
    slot.rec.lastState = t;
    if (wait > 0) {
      const message = `back-off ${wait / 1000}s restarting failed container=${slot.spec.name} pod=${this.pod.metadata?.name}_${this.ns}(${this.uid})`;
      slot.rec.state = { waiting: { reason: "CrashLoopBackOff", message } };
      this.markDirty();
      this.event("Warning", "BackOff", "Back-off restarting failed container", slot);
      await this.sleep(wait);
    }
    if (this.terminating || slot.stopping) {
      slot.rec.state = { terminated: t };
      return false;
    }
    slot.rec.restartCount++;
    return true;
  }

  /** Builds what a container run needs; throws ImagePullError or ContainerConfigError. */
  private async plan(slot: Slot): Promise<ContainerPlan> {
    const objects = await fetchObjects(this.deps.kube, this.ns, referencedObjects(this.pod));
    return planContainer({
      pod: this.pod,
      container: slot.spec,
      images: this.deps.images,
      objects: objects.strings,
      place: {
        root: rootDir(this.dir, slot.spec.name),
        podIP: this.ip ?? "",
        apiserverHost: this.deps.network.gateway ?? this.deps.apiserverHost,
        apiserverPort: this.deps.apiserverPort,
      },
      net: this.net(),
      allocatable: this.allocatable(),
      nodeName: this.deps.node.name,
      stateDir: this.deps.stateDir,
      wrap: this.wrap,
    });
  }

  /** One run of a container, from "pull" to exit; undefined when the pod is stopped before it starts. */
  private async runOnce(slot: Slot): Promise<Terminated | undefined> {
    const name = slot.spec.name;
    let plan: ContainerPlan | undefined;
    let wait = 2000;
    let lastMessage = "";
    while (!plan) {
      if (this.terminating) return undefined;
      try {
        plan = await this.plan(slot);
      } catch (err) {
        const reason =
          err instanceof ImagePullError
            ? "ErrImagePull"
            : err instanceof ContainerConfigError
              ? err.reason
              : "ContainerCreating";
        const message = err instanceof Error && !(httpStatus(err) !== undefined) ? err.message : describe(err);
        slot.rec.state = { waiting: { reason, message } };
        this.markDirty();
        if (message !== lastMessage) {
          this.event("Warning", reason === "ErrImagePull" ? "Failed" : "Failed", message, slot);
          lastMessage = message;
        }
        await this.sleep(wait);
        wait = Math.min(wait * 2, 30_000);
      }
    }
    const log = logFile(this.dir, name);
    const logStart = fileSize(log);
    const startedAt = timestamp();
    let proc: RunningProcess;
    try {
      proc = await startProcess(plan.argv, { env: plan.env, cwd: plan.cwd, logPath: log, wrap: this.wrap });
    } catch (err) {
      const message = `failed to start container "${name}": exec: "${plan.argv[0]}": ${(err as Error).message}`;
      this.event("Warning", "Failed", `Error: ${message}`, slot);
      const t: Terminated = { exitCode: 128, reason: "StartError", message, startedAt, finishedAt: timestamp() };
      slot.rec.state = { terminated: t };
      this.markDirty();
      return t;
    }
    slot.proc = proc;
    slot.killReason = undefined;
    slot.rec.containerID = `liftoff-local://${proc.pid}`;
    slot.rec.state = { running: { startedAt } };
    this.event("Normal", "Started", `Started container ${name}`, slot);
    if (this.terminating) proc.kill("SIGTERM");
    const isInit = this.init.includes(slot) && !slot.rec.sidecar;
    this.startProbes(slot, plan, isInit);
    this.markDirty();

    const exit: Exit = await proc.exited;
    for (const p of slot.probes) p.stop();
    slot.probes = [];
    slot.proc = undefined;
    slot.rec.ready = false;
    slot.rec.started = false;
    const t: Terminated = {
      exitCode: exit.exitCode,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      reason: exit.exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt: timestamp(),
      containerID: slot.rec.containerID,
    };
    const message = terminationMessage(slot.spec, plan.termFile, log, logStart, exit.exitCode);
    if (message) t.message = message;
    slot.rec.state = { terminated: t };
    this.markDirty();
    return t;
  }

  private startProbes(slot: Slot, plan: ContainerPlan, isInit: boolean) {
    if (isInit) {
      slot.rec.started = false;
      return;
    }
    const ctx: ProbeContext = {
      podIP: this.ip ?? "",
      container: slot.spec,
      env: plan.env,
      cwd: plan.cwd,
      execArgv: plan.execArgv,
    };
    startContainerProbes(ctx, {
      track: (loop) => slot.probes.push(loop),
      event: (type, reason, message) => this.event(type, reason, message, slot),
      started: () => {
        slot.rec.started = true;
        this.markDirty();
      },
      ready: (ready) => {
        if (!slot.proc) return;
        slot.rec.ready = ready;
        this.markDirty();
      },
      kill: (probe, grace) => void this.killContainer(slot, probe, grace),
    });
  }

  /** A failed liveness/startup probe: stop the container gracefully; supervise() restarts it per policy. */
  private async killContainer(slot: Slot, probe: string, graceOverride?: number): Promise<void> {
    const proc = slot.proc;
    if (!proc) return;
    slot.killReason = probe;
    this.event("Normal", "Killing", `Container ${slot.spec.name} failed ${probe} probe, will be restarted`, slot);
    const grace = graceOverride ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, delay(grace * 1000)]);
    proc.kill("SIGKILL");
  }

  /** Graceful deletion: SIGTERM, up to `graceSeconds`, SIGKILL, final status, then release the pod object. */
  private async terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    this.wakeAll();
    const slots = [...this.init, ...this.main].filter((s) => s.proc?.alive());
    for (const s of slots) {
      this.event("Normal", "Killing", `Stopping container ${s.spec.name}`, s);
      s.proc?.kill("SIGTERM");
    }
    const exits = Promise.all(slots.map((s) => s.proc?.exited));
    await Promise.race([exits, delay(graceSeconds * 1000)]);
    for (const s of slots) s.proc?.kill("SIGKILL");
    await Promise.race([exits, delay(5000)]);
    await this.running;
    if (this.gone) return;
    this.markDirty();
    await this.statusWriter.settled();
    this.cleanup();
    try {
      await this.deps.kube.core.deleteNamespacedPod({
        name: this.pod.metadata?.name ?? "",
        namespace: this.ns,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 409)
        this.deps.log(`pod ${this.name}: delete failed: ${describe(err)}`);
    }
    this.gone = true;
  }

  private cleanup(): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.releaseIP();
    // Volumes and roots go with the pod (memory-backed ones too); logs stay for post-mortems.
    rmSync(memoryRoot(this.dir), { recursive: true, force: true });
    rmSync(`${this.dir}/volumes`, { recursive: true, force: true });
    rmSync(`${this.dir}/roots`, { recursive: true, force: true });
    rmSync(`${this.dir}/.uid`, { force: true });
  }

  private releaseIP(): void {
    if (this.ip) this.deps.pool.release(this.ip);
    if (this.networkAttached) {
      this.networkAttached = false;
      void this.deps.network.detach(this.uid);
    }
  }

  // ---- helpers ----

  private event(type: "Normal" | "Warning", reason: string, message: string, slot?: Slot): void {
    if (this.gone) return;
    const fieldPath = slot
      ? `spec.${this.init.includes(slot) ? "initContainers" : "containers"}{${slot.spec.name}}`
      : undefined;
    this.deps.events.record(this.pod, this.deps.node.name, type, reason, message, fieldPath);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  markDirty(): void {
    this.statusWriter.markDirty();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
