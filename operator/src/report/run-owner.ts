// Which run a pod belongs to: pod → its controlling Job → the Liftoff object controlling that Job (Kubeflow KEP-2779's
// ownership walk). Pure given the two objects; every link is checked by uid, so a recreated object of the same name
// cannot inherit another run's reports.
import type { KubeObject, OwnerReference } from "../kube/types.js";
import { type PodIdentity, ReportRejected } from "./identity.js";

export interface ReportRun {
  kind: string;
  namespace: string;
  /** The owning DataSet / TrainingJob. */
  name: string;
  uid: string;
  job: { name: string; uid: string; annotations: Record<string, string> };
  pod: { name: string; uid: string };
}

export const controllerOf = (o: KubeObject): OwnerReference | undefined =>
  o.metadata?.ownerReferences?.find((r) => r.controller);

/** The pod, after checking it really is the token's pod (same uid, same service account). */
export function checkPod(id: PodIdentity, pod: KubeObject | undefined): KubeObject {
  const where = `pod ${id.namespace}/${id.podName}`;
  if (!pod || pod.metadata?.uid !== id.podUid) throw new ReportRejected(`${where} no longer exists`, 404);
  if ((pod.spec?.serviceAccountName ?? "default") !== id.serviceAccount) {
    throw new ReportRejected(`${where} does not run as service account ${id.serviceAccount}`, 403);
  }
  return pod;
}

/** The Job the identified pod belongs to (its name), after checking the pod really is the token's pod. */
export function jobOfPod(id: PodIdentity, pod: KubeObject | undefined): string {
  const where = `pod ${id.namespace}/${id.podName}`;
  const owner = controllerOf(checkPod(id, pod));
  if (owner?.kind !== "Job" || owner.apiVersion !== "batch/v1") {
    throw new ReportRejected(`${where} is not controlled by a Job; only run pods may report`, 403);
  }
  return owner.name;
}

/**
 * The run of a pod a Liftoff kind controls itself, with no Job between them (a pytorch TrainingJob's workers), or
 * undefined when something else controls it. Checks the pod as jobOfPod does.
 */
export function runOfOwnPod(
  id: PodIdentity,
  pod: KubeObject | undefined,
  kinds: ReadonlySet<string>,
  group: string,
): ReportRun | undefined {
  const owner = controllerOf(checkPod(id, pod));
  if (!owner || owner.apiVersion.split("/")[0] !== group || !kinds.has(owner.kind)) return undefined;
  const meta = pod?.metadata ?? {};
  return {
    kind: owner.kind,
    namespace: id.namespace,
    name: owner.name,
    uid: owner.uid,
    // The pod stands in for the Job: it is the run's unit here.
    job: { name: meta.name ?? "", uid: meta.uid ?? "", annotations: meta.annotations ?? {} },
    pod: { name: id.podName, uid: id.podUid },
  };
}

/** The run the Job belongs to, if a Liftoff kind in `kinds` controls it. */
export function runOfJob(
  id: PodIdentity,
  pod: KubeObject,
  job: KubeObject | undefined,
  kinds: ReadonlySet<string>,
  group: string,
): ReportRun {
  const podOwner = controllerOf(pod);
  if (!job || job.metadata?.uid !== podOwner?.uid) {
    throw new ReportRejected(`Job of pod ${id.namespace}/${id.podName} no longer exists`, 404);
  }
  const owner = controllerOf(job);
  if (!owner || owner.apiVersion.split("/")[0] !== group || !kinds.has(owner.kind)) {
    throw new ReportRejected(`Job ${id.namespace}/${job.metadata?.name} is not run by Liftoff`, 403);
  }
  return {
    kind: owner.kind,
    namespace: id.namespace,
    name: owner.name,
    uid: owner.uid,
    job: { name: job.metadata?.name ?? "", uid: job.metadata?.uid ?? "", annotations: job.metadata?.annotations ?? {} },
    pod: { name: id.podName, uid: id.podUid },
  };
}
