// The `local` StorageClass (default) and its provisioner: each claim gets a PersistentVolume backed by
// a folder under <state>/volumes/, deleted with the claim (reclaimPolicy Delete).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { SupervisedInformer } from "./informer.js";
import { describe, httpStatus, type Kube } from "./kube.js";

const STORAGE_CLASS = "local";
const PROVISIONER = "liftoff.dev/local";

function storageClassObject() {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  };
}

/** The PV for a claim (pure): a hostPath folder named after the claim's UID. */
export function volumeFor(pvc: V1PersistentVolumeClaim, volumesDir: string): V1PersistentVolume {
  const { name, namespace } = pvc.metadata ?? {};
  const uid = pvc.metadata?.uid ?? "";
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: `pvc-${uid}`,
      annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER },
      labels: { "liftoff.dev/claim-namespace": pvc.metadata?.namespace ?? "" },
    },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? "1Gi" },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: STORAGE_CLASS,
      volumeMode: pvc.spec?.volumeMode ?? "Filesystem",
      hostPath: { path: join(volumesDir, `pvc-${uid}`), type: "DirectoryOrCreate" },
      claimRef: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
        uid,
      },
    },
  };
}

export function wantsVolume(pvc: V1PersistentVolumeClaim): boolean {
  const ann = pvc.metadata?.annotations ?? {};
  const ours =
    pvc.spec?.storageClassName === STORAGE_CLASS ||
    ann["volume.kubernetes.io/storage-provisioner"] === PROVISIONER ||
    ann["volume.beta.kubernetes.io/storage-provisioner"] === PROVISIONER;
  return ours && !pvc.spec?.volumeName && pvc.status?.phase === "Pending" && !pvc.metadata?.deletionTimestamp;
}

export class Provisioner {
  private readonly claims: SupervisedInformer<V1PersistentVolumeClaim>;
  private readonly volumes: SupervisedInformer<V1PersistentVolume>;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly kube: Kube,
    private readonly volumesDir: string,
    private readonly log: (line: string) => void,
  ) {
    this.claims = new SupervisedInformer(
      kube.kc,
      "/api/v1/persistentvolumeclaims",
      () => kube.core.listPersistentVolumeClaimForAllNamespaces(),
      { upsert: (pvc) => void this.provision(pvc), remove: () => undefined },
      "pvc",
      log,
    );
    this.volumes = new SupervisedInformer(
      kube.kc,
      "/api/v1/persistentvolumes",
      () => kube.core.listPersistentVolume(),
      { upsert: (pv) => void this.reclaim(pv), remove: () => undefined },
      "pv",
      log,
    );
  }

  async ensureStorageClass(): Promise<void> {
    try {
      await this.kube.storage.createStorageClass({ body: storageClassObject() as never });
      this.log(`storage class "${STORAGE_CLASS}" created (default)`);
    } catch (err) {
      if (httpStatus(err) !== 409) throw err;
    }
  }

  start(): void {
    mkdirSync(this.volumesDir, { recursive: true });
    this.claims.start();
    this.volumes.start();
  }

  stop(): void {
    this.claims.stop();
    this.volumes.stop();
  }

  /** Re-checks everything in the caches (a safety net for missed events). */
  resync(): void {
    for (const pvc of this.claims.list()) void this.provision(pvc);
    for (const pv of this.volumes.list()) void this.reclaim(pv);
  }

  private async provision(pvc: V1PersistentVolumeClaim): Promise<void> {
    if (!wantsVolume(pvc)) return;
    const pv = volumeFor(pvc, this.volumesDir);
    const key = pv.metadata?.name ?? "";
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      mkdirSync(pv.spec?.hostPath?.path ?? "", { recursive: true });
      await this.kube.core.createPersistentVolume({ body: pv });
      this.log(`provisioned ${key} for ${pvc.metadata?.namespace}/${pvc.metadata?.name}`);
    } catch (err) {
      if (httpStatus(err) !== 409) this.log(`provisioning ${key} failed: ${describe(err)}`);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async reclaim(pv: V1PersistentVolume): Promise<void> {
    const ours = pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"] === PROVISIONER;
    if (!ours || pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
    const name = pv.metadata?.name ?? "";
    if (this.inFlight.has(name)) return;
    this.inFlight.add(name);
    try {
      const path = pv.spec?.hostPath?.path;
      // Only ever remove folders this provisioner made.
      if (path?.startsWith(`${this.volumesDir}/`)) rmSync(path, { recursive: true, force: true });
      await this.kube.core.deletePersistentVolume({ name });
      this.log(`deleted released volume ${name}`);
    } catch (err) {
      if (httpStatus(err) !== 404) this.log(`deleting ${name} failed: ${describe(err)}`);
    } finally {
      this.inFlight.delete(name);
    }
  }
}
