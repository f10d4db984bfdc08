// The supervisor against a fake pod worker: real short-lived processes, instant back-offs (the delays are recorded).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { type ContainerPlan, ImagePullError } from "./container-plan.js";
import { containerRole, initialRecord } from "./container-state.js";
import { type ContainerOwner, ContainerSupervisor } from "./container-supervisor.js";
import type { RestartPolicy } from "./restart-policy.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Harness {
  supervisor: ContainerSupervisor;
  owner: ContainerOwner;
  events: string[];
  sleeps: number[];
  /** Set to stop the pod, as a deletion would. */
  stop(): void;
}

function harness(opts: {
  script: string;
  policy: RestartPolicy;
  isInit?: boolean;
  container?: Partial<V1Container>;
  /** Plan failures to throw before the plan succeeds. */
  planErrors?: Error[];
  /** Called at each back-off or retry wait. */
  onSleep?(ms: number, h: Harness): void;
}): Harness {
  const dir = mkdtempSync(join(tmpdir(), "supervisor-"));
  dirs.push(dir);
  const spec: V1Container = { name: "main", image: "img", ...opts.container };
  const pod: V1Pod = {
    metadata: { name: "p", namespace: "ns", uid: "u-1" },
    spec: { containers: [spec], restartPolicy: opts.policy },
  };
  const planErrors = [...(opts.planErrors ?? [])];
  let stopping = false;
  const events: string[] = [];
  const sleeps: number[] = [];
  const termFile = join(dir, "termination-log");
  const owner: ContainerOwner = {
    pod: () => pod,
    stopping: () => stopping,
    sleep: async (ms) => {
      if (ms !== 100) sleeps.push(ms);
      opts.onSleep?.(ms, h);
      // A real turn of the event loop, so process events arrive while a loop polls.
      await new Promise((r) => setImmediate(r));
    },
    markDirty: () => {},
    event: (type, reason, message, fieldPath) => events.push(`${type} ${reason} ${fieldPath}: ${message}`),
    podIP: () => "127.0.0.1",
    plan: async (): Promise<ContainerPlan> => {
      const err = planErrors.shift();
      if (err) throw err;
      // As planContainer: each run starts with an empty termination-message file.
      writeFileSync(termFile, "");
      return {
        argv: ["/bin/sh", "-c", opts.script],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        cwd: dir,
        termFile,
        execArgv: (command) => command,
      };
    },
    logPath: (name) => join(dir, `${name}.log`),
    wrap: (argv) => argv,
  };
  const role = containerRole(spec, opts.isInit ?? false);
  const supervisor = new ContainerSupervisor(spec, role, initialRecord(spec, role, false, undefined), owner);
  const h: Harness = {
    supervisor,
    owner,
    events,
    sleeps,
    stop: () => {
      stopping = true;
    },
  };
  return h;
}

/** Exits with 3 (leaving "boom" as its termination message) until its third run, which succeeds. */
const FAILS_TWICE = `n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; [ $n -ge 3 ] && exit 0; printf boom > termination-log; exit 3`;

describe("ContainerSupervisor", () => {
  it("restarts a failing container under OnFailure with the crash-loop back-off until it succeeds", async () => {
    const h = harness({ script: FAILS_TWICE, policy: "OnFailure" });
    await h.supervisor.supervise();
    const r = h.supervisor.record;
    expect(r.restartCount).toBe(2);
    expect(r.lastState).toMatchObject({ exitCode: 3, reason: "Error", message: "boom" });
    expect(r.state).toMatchObject({ terminated: { exitCode: 0, reason: "Completed" } });
    expect(r.containerID).toMatch(/^liftoff-local:\/\/\d+$/);
    // The first restart is immediate, the second waits 10 s.
    expect(h.sleeps).toEqual([10_000]);
    expect(h.events.filter((e) => e.startsWith("Normal Started spec.containers{main}"))).toHaveLength(3);
    expect(h.events).toContain("Warning BackOff spec.containers{main}: Back-off restarting failed container");
  });

  it("shows CrashLoopBackOff while waiting, and stops restarting when the pod stops meanwhile", async () => {
    const h = harness({
      script: "exit 1",
      policy: "Always",
      onSleep: (ms, self) => {
        if (ms !== 10_000) return;
        expect(self.supervisor.record.state).toEqual({
          waiting: {
            reason: "CrashLoopBackOff",
            message: "back-off 10s restarting failed container=main pod=p_ns(u-1)",
          },
        });
        self.stop();
      },
    });
    await h.supervisor.supervise();
    const r = h.supervisor.record;
    expect(r.restartCount).toBe(1);
    expect(r.state).toMatchObject({ terminated: { exitCode: 1, reason: "Error" } });
  });

  it("runs an init container to success, giving up on a failure under Never", async () => {
    const ok = harness({ script: FAILS_TWICE, policy: "Always", isInit: true });
    expect(await ok.supervisor.runToSuccess()).toBe(true);
    expect(ok.supervisor.record.restartCount).toBe(2);
    expect(ok.events[0]).toMatch(/^Normal Started spec\.initContainers\{main\}/);

    const never = harness({ script: "exit 4", policy: "Never", isInit: true });
    expect(await never.supervisor.runToSuccess()).toBe(false);
    expect(never.supervisor.record.restartCount).toBe(0);
    expect(never.supervisor.record.state).toMatchObject({ terminated: { exitCode: 4 } });
  });

  it("retries a run that cannot be prepared, showing why, then runs it", async () => {
    const pull = new ImagePullError('Failed to pull image "img"');
    const h = harness({
      script: "exit 0",
      policy: "Never",
      planErrors: [pull, pull, new Error("disk full")],
      onSleep: (ms, self) => {
        if (ms === 2000) expect(self.supervisor.record.state).toMatchObject({ waiting: { reason: "ErrImagePull" } });
      },
    });
    await h.supervisor.supervise();
    expect(h.sleeps).toEqual([2000, 4000, 8000]);
    // One event per distinct message.
    expect(h.events.filter((e) => e.startsWith("Warning Failed"))).toEqual([
      'Warning Failed spec.containers{main}: Failed to pull image "img"',
      "Warning Failed spec.containers{main}: disk full",
    ]);
    expect(h.supervisor.record.state).toMatchObject({ terminated: { exitCode: 0 } });
  });

  it("reports a program that cannot start as StartError", async () => {
    const h = harness({ script: "", policy: "Never" });
    h.owner.plan = async () => ({
      argv: ["/nonexistent/train"],
      env: { PATH: "/usr/bin:/bin" },
      cwd: tmpdir(),
      termFile: "/nonexistent/termination-log",
      execArgv: (c) => c,
    });
    await h.supervisor.supervise();
    expect(h.supervisor.record.state).toMatchObject({ terminated: { exitCode: 128, reason: "StartError" } });
    expect(h.events[0]).toMatch(/^Warning Failed spec\.containers\{main\}: Error: failed to start container "main"/);
  });

  it("keeps a sidecar running until it is retired, then does not restart it", async () => {
    const h = harness({
      script: "exec sleep 30",
      policy: "Never",
      isInit: true,
      container: { restartPolicy: "Always" },
    });
    expect(h.supervisor.role).toBe("sidecar");
    const supervised = h.supervisor.supervise();
    expect(await h.supervisor.untilStarted()).toBe(true);
    expect(h.supervisor.record.ready).toBe(true);
    h.supervisor.retire();
    await supervised;
    expect(h.supervisor.record.restartCount).toBe(0);
    expect(h.supervisor.record.state).toMatchObject({ terminated: { exitCode: 143, signal: 15 } });
  });

  it("kills a container that fails its liveness probe, and restarts it per policy", async () => {
    const h = harness({
      script: "exec sleep 30",
      policy: "Never",
      container: {
        livenessProbe: { exec: { command: ["false"] }, failureThreshold: 1, terminationGracePeriodSeconds: 1 },
      },
    });
    await h.supervisor.supervise();
    expect(h.events).toContain(
      "Normal Killing spec.containers{main}: Container main failed liveness probe, will be restarted",
    );
    expect(h.supervisor.record.state).toMatchObject({ terminated: { exitCode: 143 } });
    expect(h.supervisor.record.restartCount).toBe(0);
  });
});
