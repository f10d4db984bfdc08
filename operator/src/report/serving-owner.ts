// Which serving object a pod belongs to: pod → its controlling ReplicaSet → that ReplicaSet's Deployment → the Liftoff
// object controlling the Deployment (a ModelDeployment). Pure given the three objects; every link is checked by uid,
// so a pod cannot push counts for another ModelDeployment, nor a recreated object inherit another's.
import type { KubeObject } from "../kube/types.js";
import { type PodIdentity, ReportRejected } from "./identity.js";
import { checkPod, controllerOf } from "./run-owner.js";

/** An authenticated serving pod and the object it serves for. */
export interface ServingPod {
  kind: string;
  namespace: string;
  /** The owning ModelDeployment. */
  name: string;
  uid: string;
  deployment: { name: string; uid: string };
  /** Its labels (set by the operator in the Deployment's template; the pod cannot change them). */
  pod: { name: string; uid: string; labels: Record<string, string> };
}

const isApps = (apiVersion: string | undefined) => apiVersion === "apps/v1";

/** The ReplicaSet the identified pod belongs to (its name), after checking the pod is the token's pod. */
export function replicaSetOfPod(id: PodIdentity, pod: KubeObject | undefined): string {
  const owner = controllerOf(checkPod(id, pod));
  if (owner?.kind !== "ReplicaSet" || !isApps(owner.apiVersion)) {
    throw new ReportRejected(
      `pod ${id.namespace}/${id.podName} is not controlled by a ReplicaSet; only serving pods push monitoring counts`,
      403,
    );
  }
  return owner.name;
}

/** The Deployment the pod's ReplicaSet belongs to (its name). */
export function deploymentOfReplicaSet(id: PodIdentity, pod: KubeObject, rs: KubeObject | undefined): string {
  if (!rs || rs.metadata?.uid !== controllerOf(pod)?.uid) {
    throw new ReportRejected(`ReplicaSet of pod ${id.namespace}/${id.podName} no longer exists`, 404);
  }
  const owner = controllerOf(rs);
  if (owner?.kind !== "Deployment" || !isApps(owner.apiVersion)) {
    throw new ReportRejected(`ReplicaSet ${id.namespace}/${rs.metadata?.name} is not controlled by a Deployment`, 403);
  }
  return owner.name;
}

/** The serving object, if a Liftoff kind in `kinds` controls the Deployment. */
export function servingPodOf(
  id: PodIdentity,
  pod: KubeObject,
  rs: KubeObject,
  deployment: KubeObject | undefined,
  kinds: ReadonlySet<string>,
  group: string,
): ServingPod {
  if (!deployment || deployment.metadata?.uid !== controllerOf(rs)?.uid) {
    throw new ReportRejected(`Deployment of pod ${id.namespace}/${id.podName} no longer exists`, 404);
  }
  const owner = controllerOf(deployment);
  if (!owner || owner.apiVersion.split("/")[0] !== group || !kinds.has(owner.kind)) {
    throw new ReportRejected(`Deployment ${id.namespace}/${deployment.metadata?.name} is not run by Liftoff`, 403);
  }
  return {
    kind: owner.kind,
    namespace: id.namespace,
    name: owner.name,
    uid: owner.uid,
    deployment: { name: deployment.metadata?.name ?? "", uid: deployment.metadata?.uid ?? "" },
    pod: { name: id.podName, uid: id.podUid, labels: pod.metadata?.labels ?? {} },
  };
}
