import { describe, expect, it } from "vitest";
import { afterExit, podRestartPolicy, shouldRestart } from "./restart-policy.js";

describe("restart policy", () => {
  it("follows restartPolicy", () => {
    expect(shouldRestart("Always", 0)).toBe(true);
    expect(shouldRestart("OnFailure", 0)).toBe(false);
    expect(shouldRestart("OnFailure", 1)).toBe(true);
    expect(shouldRestart("Never", 1)).toBe(false);
  });

  it("defaults to Always, as the API server does", () => {
    expect(podRestartPolicy({ spec: { containers: [] } })).toBe("Always");
    expect(podRestartPolicy({ spec: { containers: [], restartPolicy: "Never" } })).toBe("Never");
  });
});

describe("afterExit", () => {
  it.each([
    // An init container must succeed before the next one starts; under Never its failure fails the pod.
    ["init", "Always", 0, "done"],
    ["init", "Always", 1, "restart"],
    ["init", "OnFailure", 1, "restart"],
    ["init", "Never", 0, "done"],
    ["init", "Never", 1, "give-up"],
    // A native sidecar restarts whatever the pod's policy and exit code.
    ["sidecar", "Never", 0, "restart"],
    ["sidecar", "OnFailure", 1, "restart"],
    ["sidecar", "Always", 0, "restart"],
    // A container follows the pod's restartPolicy; a failure under Never is for the pod phase to show.
    ["container", "Always", 0, "restart"],
    ["container", "Always", 1, "restart"],
    ["container", "OnFailure", 0, "done"],
    ["container", "OnFailure", 137, "restart"],
    ["container", "Never", 0, "done"],
    ["container", "Never", 1, "done"],
  ] as const)("%s under %s exiting with %d: %s", (role, policy, exitCode, next) => {
    expect(afterExit(role, policy, exitCode)).toBe(next);
  });
});
