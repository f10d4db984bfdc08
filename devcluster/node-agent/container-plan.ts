// What one run of a container needs, as the kubelet would prepare it: the local program for its image, its
// environment, argv, working directory and termination-message file, and how exec probes run in its context.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import {
  agentEnv,
  type ContainerPlace,
  expand,
  kubeletEnv,
  type NodeAllocatable,
  type ObjectData,
  type PodNetwork,
  resolveEnv,
} from "./env.js";
import { buildArgv, findImage, type LocalImage, translatePath } from "./images.js";
import { inRoot } from "./layout.js";

/** Raised when an image has no local program; shown as ErrImagePull. */
export class ImagePullError extends Error {}

export interface ContainerPlan {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  termFile: string;
  /** Maps an exec probe's command to the local argv, inside the pod's network. */
  execArgv(command: string[]): string[];
}

export interface PlanInput {
  pod: V1Pod;
  container: V1Container;
  images: LocalImage[];
  objects: ObjectData;
  place: ContainerPlace;
  net: PodNetwork;
  allocatable: NodeAllocatable;
  nodeName: string;
  stateDir: string;
  /** Runs an argv inside the pod's network (identity in loopback mode). */
  wrap(argv: string[]): string[];
}

/** Builds the plan and creates the folders it names; throws ImagePullError or ContainerConfigError. */
export function planContainer(i: PlanInput): ContainerPlan {
  const c = i.container;
  const image = findImage(i.images, c.image ?? "");
  if (!image) {
    throw new ImagePullError(
      `Failed to pull image "${c.image}": the liftoff node agent has no local program for this image (known: ${i.images.map((x) => x.pattern).join(", ")})`,
    );
  }
  const env = {
    ...resolveEnv(i.pod, c, i.objects, i.net, i.allocatable, { ...kubeletEnv(i.pod, i.place), ...image.env }),
    ...agentEnv(i.place, i.nodeName, i.stateDir),
  };
  const root = i.place.root;
  const argv = buildArgv(image, { command: c.command, args: c.args }, process.execPath).map((a) => expand(a, env));
  const cwd = inRoot(root, c.workingDir ?? "/");
  mkdirSync(cwd, { recursive: true });
  const termFile = inRoot(root, c.terminationMessagePath || "/dev/termination-log");
  mkdirSync(dirname(termFile), { recursive: true });
  writeFileSync(termFile, "");
  const execArgv = (cmd: string[]) => {
    const a = cmd.map((x) => translatePath(image, expand(x, env)));
    if (a[0] === "node") a[0] = process.execPath;
    return i.wrap(a);
  };
  return { argv, env, cwd, termFile, execArgv };
}
