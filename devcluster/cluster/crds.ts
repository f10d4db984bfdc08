// Installs Liftoff's generated CRDs (crds/*.yaml) and waits until the API server serves them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubeRequest, serverSideApply } from "../../operator/src/kube/request.js";
import { REPO_ROOT } from "./config.js";
import { ClusterError } from "./errors.js";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

function crdManifests(): KubernetesObject[] {
  const dir = join(REPO_ROOT, "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as KubernetesObject));
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

export async function installCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<string[]> {
  const names: string[] = [];
  for (const crd of crdManifests()) {
    const name = crd.metadata?.name ?? "";
    // A raw request: client-node's typed path would drop x-kubernetes-validations and x-kubernetes-int-or-string.
    await serverSideApply(kc, `${CRD_PATH}/${name}`, crd, "liftoff-cluster");
    names.push(name);
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const live = await kubeRequest<CrdStatus>(kc, { method: "GET", path: `${CRD_PATH}/${name}` });
      const established = live.status?.conditions?.find((c) => c.type === "Established");
      if (established?.status === "True") break;
      if (Date.now() > deadline) {
        throw new ClusterError(
          `CRD ${name} not Established after ${timeoutMs} ms: ${established?.message ?? "no condition"}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}
