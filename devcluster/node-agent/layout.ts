// Where a pod's files live on the host, and how container paths map into them (pure).
//
//   <state>/pods/<ns>/<pod>/<container>.log     stdout+stderr of every run of that container
//   <state>/pods/<ns>/<pod>/volumes/<volume>/   emptyDir, configMap, secret, downwardAPI, projected contents
//   /dev/shm/liftoff-pod-<hash>/<volume>/       emptyDir with medium: Memory (tmpfs)
//   <state>/pods/<ns>/<pod>/roots/<container>/  the container's root: each mountPath is a symlink to its volume
//
// A process sees its root as LIFTOFF_PATH_PREFIX; container path P is the host path `${LIFTOFF_PATH_PREFIX}${P}`.
import { createHash } from "node:crypto";
import { join, normalize } from "node:path";

export function podDir(podsDir: string, namespace: string, name: string): string {
  return join(podsDir, namespace, name);
}

export function logFile(dir: string, container: string): string {
  return join(dir, `${container}.log`);
}

export function volumeDir(dir: string, volume: string): string {
  return join(dir, "volumes", volume);
}

/** The host's tmpfs, where emptyDir volumes of medium Memory live (none: they fall back to the pod folder). */
export const SHM = "/dev/shm";

/** One folder per pod on the tmpfs for its `medium: Memory` emptyDirs: their files never reach a disk. */
export function memoryRoot(dir: string, shm = SHM): string {
  return join(shm, `liftoff-pod-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}`);
}

export function rootDir(dir: string, container: string): string {
  return join(dir, "roots", container);
}

/** A container path inside a root; `..` cannot climb out of it. */
export function inRoot(root: string, containerPath: string): string {
  const clean = normalize(`/${containerPath}`);
  return join(root, clean);
}

export interface MountLink {
  /** The symlink inside the container root. */
  link: string;
  /** The host folder (or file, with subPath) it points at. */
  target: string;
  mountPath: string;
}

/** Each volumeMount as a link from the container root to the volume's host folder. Throws for unknown volumes. */
export function mountLinks(
  root: string,
  mounts: { name: string; mountPath: string; subPath?: string }[],
  volumes: Map<string, string>,
): MountLink[] {
  return mounts.map((m) => {
    const source = volumes.get(m.name);
    if (source === undefined) throw new Error(`volume "${m.name}" is not defined in the pod`);
    const target = m.subPath ? inRoot(source, m.subPath) : source;
    return { link: inRoot(root, m.mountPath), target, mountPath: m.mountPath };
  });
}
