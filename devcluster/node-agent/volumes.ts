// Sets up a pod's volumes as real folders and links each container's mountPaths to them.
import { chmodSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import type { NodeAllocatable, ObjectData, PodNetwork } from "./env.js";
import { describe, type Kube, orNotFound } from "./kube.js";
import { inRoot, type MountLink, memoryRoot, SHM, volumeDir } from "./layout.js";
import { MountError, type ObjectBytes, volumeFiles } from "./volume-files.js";

export interface PodObjects {
  bytes: ObjectBytes;
  strings: ObjectData;
}

/** Reads the ConfigMaps and Secrets a pod names; missing ones read as `undefined`. */
export async function fetchObjects(
  kube: Kube,
  namespace: string,
  refs: { configMaps: Set<string>; secrets: Set<string> },
): Promise<PodObjects> {
  const cms = new Map<string, Record<string, Buffer> | undefined>();
  const secrets = new Map<string, Record<string, Buffer> | undefined>();
  await Promise.all([
    ...[...refs.configMaps].map(async (name) => {
      const cm = await orNotFound(() => kube.core.readNamespacedConfigMap({ name, namespace }));
      if (!cm) return cms.set(name, undefined);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v);
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(v, "base64");
      return cms.set(name, data);
    }),
    ...[...refs.secrets].map(async (name) => {
      const s = await orNotFound(() => kube.core.readNamespacedSecret({ name, namespace }));
      if (!s) return secrets.set(name, undefined);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, "base64");
      for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(v);
      return secrets.set(name, data);
    }),
  ]);
  const asText = (d: Record<string, Buffer> | undefined) =>
    d === undefined ? undefined : Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.toString("utf8")]));
  return {
    bytes: { configMap: (n) => cms.get(n), secret: (n) => secrets.get(n) },
    strings: { configMap: (n) => asText(cms.get(n)), secret: (n) => asText(secrets.get(n)) },
  };
}

/** Files that hold a service-account token: the pod's process (the agent's own user locally) only. */
const TOKEN_MODE = 0o600;
/** A pod's folder and the folders above it (namespace, pods): owner and group only, as kubelet keeps its pods folder. */
const POD_DIR_MODE = 0o750;

/** Makes a pod's folder (<pods>/<ns>/<pod>) and keeps it, its namespace folder and the pods folder 0750. */
export function makePodDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: POD_DIR_MODE });
  for (const d of [dirname(dirname(dir)), dirname(dir), dir]) chmodSync(d, POD_DIR_MODE);
}

/**
 * Makes the pod's folder on the tmpfs (/dev/shm/liftoff-pod-<hash>) 0750 like its pod folder: /dev/shm is
 * world-readable, and the umask's 0755 let any local user read a pod's `medium: Memory` emptyDirs.
 */
export function makeMemoryRoot(dir: string, shm = SHM): string {
  const root = memoryRoot(dir, shm);
  mkdirSync(root, { recursive: true, mode: POD_DIR_MODE });
  chmodSync(root, POD_DIR_MODE);
  return root;
}

async function claimFolder(kube: Kube, namespace: string, claimName: string): Promise<string> {
  const pvc = await orNotFound(() => kube.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }));
  if (!pvc) throw new MountError(`persistentvolumeclaim "${claimName}" not found`);
  const pvName = pvc.spec?.volumeName;
  if (!pvName || pvc.status?.phase !== "Bound")
    throw new MountError(`persistentvolumeclaim "${claimName}" is not bound`);
  const pv = await orNotFound(() => kube.core.readPersistentVolume({ name: pvName }));
  const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
  if (!path) throw new MountError(`persistentvolume "${pvName}" has no hostPath or local path the agent can use`);
  mkdirSync(path, { recursive: true });
  return path;
}

export interface VolumeSetup {
  /** Volume name → host folder. */
  folders: Map<string, string>;
  /** When the earliest service-account token should be renewed (80% of its life), if any. */
  refreshAt?: number;
}

/** Makes every volume of the pod; throws MountError (shown as FailedMount) when one cannot be made. */
export async function setupVolumes(
  kube: Kube,
  pod: V1Pod,
  dir: string,
  objects: PodObjects,
  net: PodNetwork,
  node: NodeAllocatable,
): Promise<VolumeSetup> {
  const ns = pod.metadata?.namespace ?? "default";
  const folders = new Map<string, string>();
  let refreshAt: number | undefined;
  for (const vol of pod.spec?.volumes ?? []) {
    const prefix = `MountVolume.SetUp failed for volume "${vol.name}" : `;
    try {
      if (vol.persistentVolumeClaim) {
        folders.set(vol.name, await claimFolder(kube, ns, vol.persistentVolumeClaim.claimName));
      } else if (vol.hostPath) {
        const p = vol.hostPath.path;
        const type = vol.hostPath.type ?? "";
        if (!existsSync(p)) {
          if (type === "DirectoryOrCreate" || type === "") mkdirSync(p, { recursive: true });
          else if (type === "FileOrCreate") writeFileSync(p, "");
          else throw new MountError(`hostPath type check failed: ${p} does not exist`);
        }
        folders.set(vol.name, p);
      } else if (vol.emptyDir) {
        const memory = vol.emptyDir.medium === "Memory" && existsSync(SHM);
        if (memory) makeMemoryRoot(dir);
        const d = memory ? join(memoryRoot(dir), vol.name) : volumeDir(dir, vol.name);
        mkdirSync(d, { recursive: true });
        folders.set(vol.name, d);
      } else if (vol.configMap || vol.secret || vol.downwardAPI || vol.projected) {
        const files = volumeFiles(pod, vol, objects.bytes, net, node);
        const d = volumeDir(dir, vol.name);
        mkdirSync(d, { recursive: true });
        for (const f of files) {
          const target = inRoot(d, f.path);
          mkdirSync(dirname(target), { recursive: true });
          if ("token" in f) {
            const token = await requestToken(kube, pod, f.token);
            // Whatever the volume's defaultMode (the API server's is 0644): a token is a credential.
            writeAtomically(target, token.token, TOKEN_MODE);
            const at = Date.now() + f.token.expirationSeconds * 800;
            refreshAt = Math.min(refreshAt ?? at, at);
          } else {
            writeAtomically(target, f.content, f.mode);
          }
        }
        folders.set(vol.name, d);
      } else {
        throw new MountError("volume type not supported by the liftoff node agent");
      }
    } catch (err) {
      if (err instanceof MountError) throw new MountError(prefix + err.message);
      throw new MountError(prefix + describe(err));
    }
  }
  return { folders, ...(refreshAt !== undefined ? { refreshAt } : {}) };
}

/** A real token from the TokenRequest API, bound to the pod, with the audience and expiry asked for. */
async function requestToken(
  kube: Kube,
  pod: V1Pod,
  req: { audience?: string | undefined; expirationSeconds: number },
): Promise<{ token: string }> {
  const sa = pod.spec?.serviceAccountName || "default";
  const { name, uid } = pod.metadata ?? {};
  const res = await kube.core.createNamespacedServiceAccountToken({
    name: sa,
    namespace: pod.metadata?.namespace ?? "default",
    body: {
      spec: {
        audiences: req.audience ? [req.audience] : [],
        expirationSeconds: req.expirationSeconds,
        boundObjectRef: {
          apiVersion: "v1",
          kind: "Pod",
          ...(name !== undefined ? { name } : {}),
          ...(uid !== undefined ? { uid } : {}),
        },
      },
    },
  });
  if (!res.status?.token) throw new MountError(`TokenRequest for service account "${sa}" returned no token`);
  return { token: res.status.token };
}

/** A renewed token or file replaces the old one in one step: a reader never sees it half-written or missing. */
function writeAtomically(target: string, content: string | Buffer, mode: number): void {
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, target);
}

/** Creates the symlinks of a container root (idempotent). */
export function linkMounts(root: string, links: MountLink[]): void {
  mkdirSync(root, { recursive: true });
  for (const l of links) {
    mkdirSync(dirname(l.link), { recursive: true });
    if (!existsSync(l.target)) mkdirSync(l.target, { recursive: true });
    try {
      if (lstatSync(l.link, { throwIfNoEntry: false })) rmSync(l.link, { recursive: true, force: true });
    } catch {
      // nothing there
    }
    symlinkSync(l.target, l.link);
  }
}
