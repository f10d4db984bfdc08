// Whether Argo CD or Flux manages an object: then a patch from the plugin would be reverted (or would fight) at the
// next sync, so promote and abort print the change to make in Git instead (docs/gitops.md). Pure.
import type { KubeObject } from "../cli/kube.js";

export interface GitOpsManager {
  tool: "Argo CD" | "Flux";
  /** What gave it away: `label kustomize.toolkit.fluxcd.io/name=apps`. */
  evidence: string;
}

const PREFIXES: readonly [string, GitOpsManager["tool"]][] = [
  ["argocd.argoproj.io/", "Argo CD"],
  ["kustomize.toolkit.fluxcd.io/", "Flux"],
  ["helm.toolkit.fluxcd.io/", "Flux"],
  ["fluxcd.io/", "Flux"],
];

function byManager(manager: string): GitOpsManager["tool"] | undefined {
  if (/argocd/i.test(manager)) return "Argo CD";
  if (/flux|kustomize-controller|helm-controller/i.test(manager)) return "Flux";
  return undefined;
}

export function gitOpsManager(obj: KubeObject): GitOpsManager | undefined {
  const meta = obj.metadata;
  for (const [what, map] of [
    ["label", meta.labels],
    ["annotation", meta.annotations],
  ] as const) {
    for (const [k, v] of Object.entries((map ?? {}) as Record<string, string>)) {
      const hit = PREFIXES.find(([p]) => k.startsWith(p));
      if (hit) return { tool: hit[1], evidence: `${what} ${k}=${v}` };
    }
  }
  for (const f of (meta.managedFields ?? []) as { manager?: string }[]) {
    const tool = f.manager ? byManager(f.manager) : undefined;
    if (tool) return { tool, evidence: `field manager ${f.manager}` };
  }
  // Argo CD's label tracking (its default before 2.14) puts the Application's name in app.kubernetes.io/instance;
  // that label alone is also Helm's, so it counts only when Argo CD's annotations or managers said so above.
  return undefined;
}
