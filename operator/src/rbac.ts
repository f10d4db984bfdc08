// The API calls the operator may make, declared beside the code that makes them (like kubebuilder's
// `+kubebuilder:rbac` markers), and the ClusterRole rules they add up to (pure). `npm run gen` writes
// config/rbac/role.yaml and the chart's copy from the registry's permissions (kinds.ts).
import type { ResourceType } from "./kube/resources.js";

type RbacVerb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

/** Verbs in the order kubectl and kubebuilder print them. */
const VERB_ORDER: readonly RbacVerb[] = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** One grant: verbs on a resource (or its subresource), optionally only on the objects named. */
export interface Permission {
  resource: ResourceType;
  subresource?: "status" | "scale";
  verbs: readonly RbacVerb[];
  resourceNames?: readonly string[];
}

/** A rule of a ClusterRole, as rbac.authorization.k8s.io/v1 spells it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: RbacVerb[];
}

/** Read through a cache: list and watch. */
export const reads = (resource: ResourceType): Permission => ({ resource, verbs: ["list", "watch"] });

/**
 * A child a kind owns: cached (list, watch), applied server-side ("patch", plus "create" when it does not exist yet;
 * children are never "update"d) and deleted once unwanted.
 */
export const owns = (resource: ResourceType): Permission => ({
  resource,
  verbs: ["list", "watch", "create", "patch", "delete"],
});

/** A kind's own resource: its controller reads it and writes its status subresource. */
export const reconciles = (resource: ResourceType): Permission[] => [
  { resource, verbs: ["get", "list", "watch"] },
  { resource, subresource: "status", verbs: ["patch"] },
];

const resourceName = (p: Permission) => (p.subresource ? `${p.resource.plural}/${p.subresource}` : p.resource.plural);

/**
 * The fewest rules that grant exactly `permissions`: verbs on the same resource are merged, then resources of one
 * group with the same verbs (and object names) share a rule. Sorted by group, then resource, so the output is stable.
 */
export function policyRules(permissions: readonly Permission[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; names: string[]; verbs: Set<RbacVerb> }>();
  for (const p of permissions) {
    const resource = resourceName(p);
    const names = [...(p.resourceNames ?? [])].sort();
    const key = JSON.stringify([p.resource.group, resource, names]);
    const entry = byResource.get(key) ?? { group: p.resource.group, resource, names, verbs: new Set<RbacVerb>() };
    for (const v of p.verbs) entry.verbs.add(v);
    byResource.set(key, entry);
  }
  const rules = new Map<string, PolicyRule>();
  const entries = [...byResource.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource),
  );
  for (const e of entries) {
    const verbs = VERB_ORDER.filter((v) => e.verbs.has(v));
    const key = JSON.stringify([e.group, verbs, e.names]);
    const rule = rules.get(key);
    if (rule) rule.resources.push(e.resource);
    else
      rules.set(key, {
        apiGroups: [e.group],
        resources: [e.resource],
        ...(e.names.length > 0 ? { resourceNames: e.names } : {}),
        verbs,
      });
  }
  return [...rules.values()];
}
