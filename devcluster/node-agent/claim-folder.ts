// A PersistentVolumeClaim of the local StorageClass and the host folder behind it, so the demo and tests can put
// files (a model) where pods that mount the claim will find them.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";

export async function claimHostFolder(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 30_000,
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const existing = await core.readNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
  if (!existing) {
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
    const volume = pvc.status?.phase === "Bound" ? pvc.spec?.volumeName : undefined;
    if (volume) {
      const path = (await core.readPersistentVolume({ name: volume })).spec?.hostPath?.path;
      if (!path) throw new Error(`PV ${volume} of claim ${namespace}/${name} has no hostPath`);
      return path;
    }
    if (Date.now() > deadline) throw new Error(`claim ${namespace}/${name} not bound after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
