// What happens after a container exits, by the pod's restartPolicy and the container's role (pure).
import type { V1Pod } from "@kubernetes/client-node";

export type RestartPolicy = "Always" | "OnFailure" | "Never";

/**
 * `init`: an init container, run to success before the next one; `sidecar`: an init container with restartPolicy
 * Always (a native sidecar), kept running beside the containers; `container`: one of the pod's containers.
 */
export type ContainerRole = "init" | "sidecar" | "container";

export function podRestartPolicy(pod: V1Pod): RestartPolicy {
  return (pod.spec?.restartPolicy ?? "Always") as RestartPolicy;
}

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === "Always") return true;
  if (policy === "OnFailure") return exitCode !== 0;
  return false;
}

/**
 * After an exit: `restart` (after the back-off), `done` (the container is finished for good; an init container
 * lets the next one start) or `give-up` (a failed init container under restartPolicy Never: the pod cannot go on).
 */
export type AfterExit = "restart" | "done" | "give-up";

export function afterExit(role: ContainerRole, policy: RestartPolicy, exitCode: number): AfterExit {
  switch (role) {
    case "init":
      if (exitCode === 0) return "done";
      return policy === "Never" ? "give-up" : "restart";
    case "sidecar":
      return "restart";
    case "container":
      return shouldRestart(policy, exitCode) ? "restart" : "done";
  }
}
