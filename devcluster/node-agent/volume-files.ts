// The files of configMap, secret, downwardAPI and projected volumes (pure; tokens are fetched by the caller).
import type { V1KeyToPath, V1Pod, V1Volume } from "@kubernetes/client-node";
import { fieldValue, type NodeAllocatable, type PodNetwork, resourceValue } from "./env.js";

/** ConfigMap/Secret contents as bytes; `undefined` means "does not exist". */
export interface ObjectBytes {
  configMap(name: string): Record<string, Buffer> | undefined;
  secret(name: string): Record<string, Buffer> | undefined;
}

export type VolumeFile =
  | { path: string; mode: number; content: Buffer }
  | { path: string; mode: number; token: { audience?: string | undefined; expirationSeconds: number } };

/** Raised when a volume cannot be set up; shown like the kubelet's FailedMount. */
export class MountError extends Error {}

function keyFiles(
  kind: "configmap" | "secret",
  name: string,
  data: Record<string, Buffer> | undefined,
  items: V1KeyToPath[] | undefined,
  optional: boolean | undefined,
  mode: number,
): VolumeFile[] {
  if (data === undefined) {
    if (optional) return [];
    throw new MountError(`${kind} "${name}" not found`);
  }
  if (!items?.length) return Object.entries(data).map(([k, content]) => ({ path: k, mode, content }));
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new MountError(`configmap references non-existent config key: ${item.key}`.replace("configmap", kind));
    }
    files.push({ path: item.path, mode: item.mode ?? mode, content });
  }
  return files;
}

export function volumeFiles(
  pod: V1Pod,
  volume: V1Volume,
  objects: ObjectBytes,
  net: PodNetwork,
  node: NodeAllocatable,
): VolumeFile[] {
  if (volume.configMap) {
    const v = volume.configMap;
    return keyFiles(
      "configmap",
      v.name ?? "",
      objects.configMap(v.name ?? ""),
      v.items,
      v.optional,
      v.defaultMode ?? 0o644,
    );
  }
  if (volume.secret) {
    const v = volume.secret;
    const name = v.secretName ?? "";
    return keyFiles("secret", name, objects.secret(name), v.items, v.optional, v.defaultMode ?? 0o644);
  }
  if (volume.downwardAPI) {
    return downwardFiles(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? 0o644, net, node);
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    for (const src of volume.projected.sources ?? []) {
      if (src.configMap) {
        const n = src.configMap.name ?? "";
        files.push(
          ...keyFiles("configmap", n, objects.configMap(n), src.configMap.items, src.configMap.optional, mode),
        );
      } else if (src.secret) {
        const n = src.secret.name ?? "";
        files.push(...keyFiles("secret", n, objects.secret(n), src.secret.items, src.secret.optional, mode));
      } else if (src.downwardAPI) {
        files.push(...downwardFiles(pod, src.downwardAPI.items ?? [], mode, net, node));
      } else if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        files.push({
          path: t.path,
          mode,
          token: { audience: t.audience, expirationSeconds: t.expirationSeconds ?? 3600 },
        });
      } else {
        throw new MountError(
          `projected volume "${volume.name}" has a source type the liftoff node agent does not support`,
        );
      }
    }
    return files;
  }
  return [];
}

function downwardFiles(
  pod: V1Pod,
  items: {
    path: string;
    mode?: number;
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; containerName?: string; divisor?: string };
  }[],
  mode: number,
  net: PodNetwork,
  node: NodeAllocatable,
): VolumeFile[] {
  return items.map((item) => {
    let text = "";
    if (item.fieldRef) text = fieldValue(pod, item.fieldRef, net);
    else if (item.resourceFieldRef)
      text = resourceValue(pod, item.resourceFieldRef.containerName ?? "", item.resourceFieldRef, node);
    return { path: item.path, mode: item.mode ?? mode, content: Buffer.from(text) };
  });
}
