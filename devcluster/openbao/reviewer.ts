// The service account OpenBao's Kubernetes auth uses to call TokenReview: bound to system:auth-delegator and
// nothing else, its token minted by the TokenRequest API (no Secret), re-issued at every cluster:up.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { serverSideApply } from "../../operator/src/kube/request.js";

const REVIEWER = { namespace: "kube-system", name: "openbao-token-reviewer" } as const;
const MANAGER = "liftoff-cluster";
/** A year: the API server caps it at its own maximum; every cluster:up issues a fresh one. */
const REVIEWER_TOKEN_SECONDS = 365 * 24 * 3600;

export async function reviewerToken(kc: KubeConfig): Promise<string> {
  await serverSideApply(
    kc,
    `/api/v1/namespaces/${REVIEWER.namespace}/serviceaccounts/${REVIEWER.name}`,
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: REVIEWER.name, namespace: REVIEWER.namespace } },
    MANAGER,
  );
  await serverSideApply(
    kc,
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${REVIEWER.name}`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: REVIEWER.name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ kind: "ServiceAccount", name: REVIEWER.name, namespace: REVIEWER.namespace }],
    },
    MANAGER,
  );
  const res = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: REVIEWER.name,
    namespace: REVIEWER.namespace,
    body: { spec: { audiences: [], expirationSeconds: REVIEWER_TOKEN_SECONDS } },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`TokenRequest for ${REVIEWER.namespace}/${REVIEWER.name} returned no token`);
  return token;
}
