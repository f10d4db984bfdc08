// Stand-ins for third-party CRDs (Prometheus Operator, Gateway API) that the operator detects at start: same group,
// kind and scope; the schema accepts anything (enough for the operator, which only needs the API to exist and store
// what it applies).
import type { KubeConfig } from "@kubernetes/client-node";
import { kubeRequest, serverSideApply } from "../../operator/src/kube/request.js";
import { pollUntil } from "./poll.js";

export function looseCrd(group: string, kind: string, plural: string) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${plural}.${group}`,
      // *.k8s.io groups are protected; the real Gateway API CRDs carry this approval annotation too.
      ...(group.endsWith(".k8s.io")
        ? { annotations: { "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/2466" } }
        : {}),
    },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}

const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;

/** Installs the CRDs and waits until each is Established. */
export async function installCrds(admin: KubeConfig, crds: ReturnType<typeof looseCrd>[]): Promise<void> {
  for (const crd of crds) await serverSideApply(admin, crdPath(crd.metadata.name), crd, "liftoff-tests");
  for (const crd of crds) {
    await pollUntil(`${crd.metadata.name} established`, async () => {
      const live = (await kubeRequest(admin, { method: "GET", path: crdPath(crd.metadata.name) })) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      return live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    });
  }
}

/** Removes them again: other test files start operators that must see a cluster without these integrations. */
export async function removeCrds(admin: KubeConfig, crds: ReturnType<typeof looseCrd>[]): Promise<void> {
  for (const crd of crds)
    await kubeRequest(admin, { method: "DELETE", path: crdPath(crd.metadata.name) }).catch(() => undefined);
}
