// Supervises one container of a pod: prepares and starts each run, keeps its record, runs its probes, and restarts
// it by its role and the pod's restartPolicy after the crash-loop back-off. The decisions are pure functions from
// restart-policy.ts, backoff.ts, container-state.ts and termination.ts; this class carries them out.
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { CONTAINER_PLAN_RETRY, crashLoopBackOff, retryDelayMs } from "./backoff.js";
import { fileSize, terminationMessage } from "./container-files.js";
import type { ContainerPlan } from "./container-plan.js";
import { crashLoopWaiting, exitedState, planFailure, ranForMs, startFailure } from "./container-state.js";
import { type ProbeLoop, startContainerProbes } from "./probes.js";
import { type RunningProcess, startProcess, stopInSteps } from "./process.js";
import { afterExit, type ContainerRole, podRestartPolicy } from "./restart-policy.js";
import { type ContainerRecord, type Terminated, timestamp } from "./status.js";
import { probeKillGraceSeconds, stopSteps } from "./termination.js";

/** What a container's supervisor reads from, and tells, the pod worker that owns it. */
export interface ContainerOwner {
  /** The pod object as last seen. */
  pod(): V1Pod;
  /** The pod is being stopped: no new run, no restart. */
  stopping(): boolean;
  /** A wait that the pod's stop cuts short. */
  sleep(ms: number): Promise<void>;
  /** The container's record changed: the pod's status is to be written. */
  markDirty(): void;
  event(type: "Normal" | "Warning", reason: string, message: string, fieldPath: string): void;
  podIP(): string;
  /** Builds what a run needs; throws ImagePullError or ContainerConfigError. */
  plan(container: V1Container): Promise<ContainerPlan>;
  logPath(container: string): string;
  /** Runs an argv inside the pod's network. */
  wrap(argv: string[]): string[];
}

export class ContainerSupervisor {
  private process: RunningProcess | undefined;
  private probes: ProbeLoop[] = [];
  private backOffStep = 0;
  /** A sidecar being stopped because the pod's containers finished: not restarted. */
  private retiring = false;

  constructor(
    readonly spec: V1Container,
    readonly role: ContainerRole,
    /** What the pod's status shows of this container. */
    readonly record: ContainerRecord,
    private readonly owner: ContainerOwner,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** Where events about this container point in the pod's spec. */
  get fieldPath(): string {
    return `spec.${this.role === "container" ? "containers" : "initContainers"}{${this.name}}`;
  }

  /** The running process, if any. */
  get running(): RunningProcess | undefined {
    return this.process;
  }

  /** An init container: runs until it succeeds; false when the pod cannot go on. */
  async runToSuccess(): Promise<boolean> {
    while (!this.owner.stopping()) {
      const last = await this.runOnce();
      if (!last) return false;
      const next = afterExit(this.role, podRestartPolicy(this.owner.pod()), last.exitCode);
      if (next === "done") return true;
      if (next === "give-up" || !(await this.backOff(last))) return false;
    }
    return false;
  }

  /** A container or sidecar: runs, and runs again while its restart policy says so. */
  async supervise(): Promise<void> {
    while (!this.owner.stopping() && !this.retiring) {
      const last = await this.runOnce();
      if (!last || this.owner.stopping() || this.retiring) return;
      if (afterExit(this.role, podRestartPolicy(this.owner.pod()), last.exitCode) !== "restart") return;
      if (!(await this.backOff(last))) return;
    }
  }

  /** Waits until a sidecar has started (its startup probe passed); false when the pod is stopped first. */
  async untilStarted(): Promise<boolean> {
    while (!this.owner.stopping()) {
      if (this.record.started && "running" in this.record.state) return true;
      await this.owner.sleep(100);
    }
    return false;
  }

  /** The pod's containers are done for good: a sidecar is stopped, and not restarted. */
  retire(): void {
    this.retiring = true;
    this.process?.kill("SIGTERM");
  }

  /** Waits out the restart back-off showing CrashLoopBackOff; false if the pod is being stopped meanwhile. */
  private async backOff(last: Terminated): Promise<boolean> {
    const { delayMs, nextStep } = crashLoopBackOff(this.backOffStep, ranForMs(last));
    this.backOffStep = nextStep;
    this.record.lastState = last;
    if (delayMs > 0) {
      this.record.state = crashLoopWaiting(delayMs, this.name, this.owner.pod());
      this.owner.markDirty();
      this.event("Warning", "BackOff", "Back-off restarting failed container");
      await this.owner.sleep(delayMs);
    }
    if (this.owner.stopping() || this.retiring) {
      this.record.state = { terminated: last };
      return false;
    }
    this.record.restartCount++;
    return true;
  }

  /** Prepares a run, retrying with back-off while the image or the env references are missing. */
  private async planRun(): Promise<ContainerPlan | undefined> {
    let lastMessage = "";
    for (let attempt = 0; !this.owner.stopping(); attempt++) {
      try {
        return await this.owner.plan(this.spec);
      } catch (err) {
        const { reason, message } = planFailure(err);
        this.record.state = { waiting: { reason, message } };
        this.owner.markDirty();
        if (message !== lastMessage) {
          this.event("Warning", "Failed", message);
          lastMessage = message;
        }
        await this.owner.sleep(retryDelayMs(attempt, CONTAINER_PLAN_RETRY));
      }
    }
    return undefined;
  }

  /** One run of the container, from "pull" to exit; undefined when the pod is stopped before it starts. */
  private async runOnce(): Promise<Terminated | undefined> {
    const plan = await this.planRun();
    if (!plan) return undefined;
    const log = this.owner.logPath(this.name);
    const logStart = fileSize(log);
    const startedAt = timestamp();
    let proc: RunningProcess;
    try {
      proc = await startProcess(plan.argv, { env: plan.env, cwd: plan.cwd, logPath: log, wrap: this.owner.wrap });
    } catch (err) {
      const failed = startFailure(this.name, plan.argv[0], err as Error, startedAt, timestamp());
      this.event("Warning", "Failed", `Error: ${failed.message}`);
      this.record.state = { terminated: failed };
      this.owner.markDirty();
      return failed;
    }
    this.process = proc;
    this.record.containerID = `liftoff-local://${proc.pid}`;
    this.record.state = { running: { startedAt } };
    this.event("Normal", "Started", `Started container ${this.name}`);
    if (this.owner.stopping()) proc.kill("SIGTERM");
    this.startProbes(plan);
    this.owner.markDirty();

    const exit = await proc.exited;
    for (const p of this.probes) p.stop();
    this.probes = [];
    this.process = undefined;
    this.record.ready = false;
    this.record.started = false;
    const finishedAt = timestamp();
    const message = terminationMessage(this.spec, plan.termFile, log, logStart, exit.exitCode);
    const last = exitedState(exit, startedAt, finishedAt, this.record.containerID, message);
    this.record.state = { terminated: last };
    this.owner.markDirty();
    return last;
  }

  private startProbes(plan: ContainerPlan): void {
    // Init containers have no probes: they only run to completion.
    if (this.role === "init") {
      this.record.started = false;
      return;
    }
    const context = {
      podIP: this.owner.podIP(),
      container: this.spec,
      env: plan.env,
      cwd: plan.cwd,
      execArgv: plan.execArgv,
    };
    startContainerProbes(context, {
      track: (loop) => this.probes.push(loop),
      event: (type, reason, message) => this.event(type, reason, message),
      started: () => {
        this.record.started = true;
        this.owner.markDirty();
      },
      ready: (ready) => {
        if (!this.process) return;
        this.record.ready = ready;
        this.owner.markDirty();
      },
      kill: (probe, grace) => void this.killForProbe(probe, grace),
    });
  }

  /** A failed liveness/startup probe: stop the container gracefully; supervise() restarts it per policy. */
  private async killForProbe(probe: string, probeGraceSeconds?: number): Promise<void> {
    const proc = this.process;
    if (!proc) return;
    this.event("Normal", "Killing", `Container ${this.name} failed ${probe} probe, will be restarted`);
    const graceSeconds = probeKillGraceSeconds(this.owner.pod(), probeGraceSeconds);
    await stopInSteps([proc], stopSteps(graceSeconds * 1000));
  }

  private event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.owner.event(type, reason, message, this.fieldPath);
  }
}
