// One worker pod of a pytorch TrainingJob (pure): the training pod every TrainingJob gets (desired.ts — the DataSet
// version pinned, its decryption with the pod's own Vault identity, the report channel, the output claim), run from
// the Liftoff PyTorch image, with what the runtime's `train` needs to start torchrun as node `index` of the group.
import type { V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { TrainingJob } from "../../api/v1alpha1/index.js";
import { podEnv } from "../../contract/pod-env.js";
import type { Pod } from "../../kube/models.js";
import { parseQuantity } from "../../kube/quantity.js";
import { controllerReference, RESOURCES } from "../../kube/resources.js";
import type { Wire } from "../../kube/types.js";
import { type TrainingContext, trainingPodSpec } from "../desired.js";
import {
  ANNOTATION_DATASET_DIGEST,
  CONTAINER,
  LABEL_ATTEMPT,
  LABEL_WORKER,
  trainingLabels,
  workerPodName,
} from "../names.js";

/** Where a ConfigMap script is mounted in the worker. */
export const SCRIPT_DIR = "/etc/liftoff/script";
/**
 * torchrun's master port: one per attempt, so a new group's worker 0 never waits for the port of the one being
 * deleted where pods share a network namespace (the local cluster without `ip netns`); in a real pod network any
 * fixed port would do.
 */
export const masterPort = (attempt: number) => 29500 + (attempt % 100);

export interface PyTorchImages {
  /** The operator's --pytorch-image (CPU). */
  cpu: string;
  /** The operator's --pytorch-gpu-image (CUDA), for workers with resources.gpu > 0. */
  gpu: string;
}

/** The image the workers run: spec.pytorch.image, else the operator's CPU or CUDA default. */
function workerImage(tj: TrainingJob, images: PyTorchImages): string {
  return tj.spec.pytorch?.image ?? ((tj.spec.resources?.gpu ?? 0) > 0 ? images.gpu : images.cpu);
}

/** The script's path inside the worker. */
function scriptPath(tj: TrainingJob): string {
  const s = tj.spec.pytorch?.script;
  return s?.configMap ? `${SCRIPT_DIR}/${s.configMap.key}` : (s?.path ?? "");
}

/**
 * Worker `index` of attempt `attempt`. Worker 0 is its own master (its pod IP from the downward API); the others
 * are given worker 0's address, known once it runs.
 */
export function workerPod(
  tj: TrainingJob,
  ctx: TrainingContext & { images: PyTorchImages },
  attempt: number,
  index: number,
  masterAddress?: string,
): Pod {
  const name = tj.metadata?.name ?? "";
  const spec = structuredClone(trainingPodSpec(tj, ctx));
  const pytorch = tj.spec.pytorch;
  const volumes = [...((spec.volumes ?? []) as Wire<V1Volume>[])];
  const script = pytorch?.script.configMap;
  if (script) {
    volumes.push({
      name: "script",
      configMap: { name: script.name, items: [{ key: script.key, path: script.key }] },
    });
  }
  // torch's intra-op threads: the worker's cores shared by its processes, not every core of the node.
  const cores = parseQuantity(String(tj.spec.resources?.cpu ?? "1")) ?? 1;
  const threads = Math.max(1, Math.floor(cores / (pytorch?.procsPerWorker ?? 1)));
  const env: Wire<V1EnvVar>[] = [
    { name: "OMP_NUM_THREADS", value: String(threads) },
    // The address the collectives bind to (the runtime finds its interface: runtime/src/train/pytorch/torchrun.ts).
    { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    podEnv("torchWorker", String(index)),
    podEnv("torchAttempt", String(attempt)),
    podEnv("torchMasterPort", String(masterPort(attempt))),
    podEnv("torchScript", scriptPath(tj)),
    index === 0 || masterAddress === undefined
      ? { name: podEnv("torchMasterAddr", "").name, valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }
      : podEnv("torchMasterAddr", masterAddress),
  ];
  const containers = spec.containers.map((c) =>
    c.name === CONTAINER
      ? {
          ...c,
          image: workerImage(tj, ctx.images),
          env: [...(c.env ?? []), ...env],
          volumeMounts: [
            ...((c.volumeMounts ?? []) as Wire<V1VolumeMount>[]),
            ...(script ? [{ name: "script", mountPath: SCRIPT_DIR, readOnly: true }] : []),
          ],
        }
      : c,
  );
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: workerPodName(name, attempt, index),
      ...(tj.metadata?.namespace ? { namespace: tj.metadata.namespace } : {}),
      labels: { ...trainingLabels(name), [LABEL_WORKER]: String(index), [LABEL_ATTEMPT]: String(attempt) },
      annotations: { [ANNOTATION_DATASET_DIGEST]: ctx.data.digest },
      ownerReferences: [controllerReference(RESOURCES.TrainingJob, tj, { blockOwnerDeletion: true })],
    },
    spec: { ...spec, volumes, containers } as NonNullable<Pod["spec"]>,
  };
}
