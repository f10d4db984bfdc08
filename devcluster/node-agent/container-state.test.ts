import type { V1Container, V1ContainerStatus } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ImagePullError } from "./container-plan.js";
import {
  containerRole,
  crashLoopWaiting,
  exitedState,
  hasSucceeded,
  initialRecord,
  planFailure,
  ranForMs,
  startFailure,
} from "./container-state.js";
import { ContainerConfigError } from "./env.js";

const spec: V1Container = { name: "main", image: "img:1" };

describe("containerRole", () => {
  it.each([
    [spec, false, "container"],
    [spec, true, "init"],
    [{ ...spec, restartPolicy: "Always" }, true, "sidecar"],
  ] as const)("%o (init: %s) is a %s", (c, isInit, role) => {
    expect(containerRole(c, isInit)).toBe(role);
  });
});

describe("initialRecord", () => {
  const succeeded: V1ContainerStatus = {
    name: "main",
    image: "img:1",
    imageID: "",
    ready: false,
    restartCount: 2,
    state: { terminated: { exitCode: 0, reason: "Completed" } },
  };

  it("waits for the sandbox, or for the init containers when the pod has some", () => {
    expect(initialRecord(spec, "container", false, undefined)).toEqual({
      name: "main",
      image: "img:1",
      state: { waiting: { reason: "ContainerCreating" } },
      restartCount: 0,
      ready: false,
      started: false,
    });
    expect(initialRecord(spec, "container", true, undefined).state).toEqual({
      waiting: { reason: "PodInitializing" },
    });
  });

  it("keeps an init container that already succeeded before an agent restart, and every restart count", () => {
    const init = initialRecord(spec, "init", true, succeeded);
    expect(init.state).toEqual({ terminated: { exitCode: 0, reason: "Completed" } });
    expect(hasSucceeded(init.state)).toBe(true);
    expect(init.restartCount).toBe(2);
    const failed = { ...succeeded, state: { terminated: { exitCode: 1 } } };
    expect(hasSucceeded(initialRecord(spec, "init", true, failed).state)).toBe(false);
    // A container that finished is run again: only init containers are done for good.
    expect(initialRecord(spec, "container", true, succeeded).state).toEqual({
      waiting: { reason: "PodInitializing" },
    });
  });

  it("marks a native sidecar", () => {
    expect(initialRecord(spec, "sidecar", true, undefined).sidecar).toBe(true);
    expect(initialRecord(spec, "init", true, undefined)).not.toHaveProperty("sidecar");
  });
});

describe("planFailure", () => {
  it.each([
    [new ImagePullError('Failed to pull image "x"'), "ErrImagePull", 'Failed to pull image "x"'],
    [new ContainerConfigError('secret "s" not found'), "CreateContainerConfigError", 'secret "s" not found'],
    [new Error("disk full"), "ContainerCreating", "disk full"],
    [
      Object.assign(new Error("HTTP-Code: 403"), { code: 403, body: { message: "forbidden" } }),
      "ContainerCreating",
      "HTTP 403: forbidden",
    ],
    ["odd", "ContainerCreating", "odd"],
  ])("%s → %s", (err, reason, message) => {
    expect(planFailure(err)).toEqual({ reason, message });
  });
});

describe("a run's end", () => {
  it("is Completed or Error by exit code, with the signal and termination message when there are some", () => {
    expect(exitedState({ exitCode: 0 }, "t0", "t1", "liftoff-local://9", undefined)).toEqual({
      exitCode: 0,
      reason: "Completed",
      startedAt: "t0",
      finishedAt: "t1",
      containerID: "liftoff-local://9",
    });
    expect(exitedState({ exitCode: 137, signal: 9 }, "t0", "t1", "liftoff-local://9", "oom")).toEqual({
      exitCode: 137,
      signal: 9,
      reason: "Error",
      startedAt: "t0",
      finishedAt: "t1",
      containerID: "liftoff-local://9",
      message: "oom",
    });
  });

  it("is a StartError with exit code 128 when the program cannot start", () => {
    const err = new Error("spawn train ENOENT");
    expect(startFailure("main", "train", err, "t0", "t1")).toEqual({
      exitCode: 128,
      reason: "StartError",
      message: 'failed to start container "main": exec: "train": spawn train ENOENT',
      startedAt: "t0",
      finishedAt: "t1",
    });
  });

  it("measures how long the run lasted (0 when its start is unknown)", () => {
    expect(
      ranForMs({ exitCode: 1, reason: "Error", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:10:00Z" }),
    ).toBe(600_000);
    expect(ranForMs({ exitCode: 1, reason: "Error", finishedAt: "2026-01-01T00:10:00Z" })).toBe(0);
  });
});

describe("crashLoopWaiting", () => {
  it("says how long the back-off is, as the kubelet words it", () => {
    const pod = { metadata: { name: "crasher", namespace: "ns", uid: "u-1" } };
    expect(crashLoopWaiting(20_000, "main", pod)).toEqual({
      waiting: {
        reason: "CrashLoopBackOff",
        message: "back-off 20s restarting failed container=main pod=crasher_ns(u-1)",
      },
    });
  });
});
