import { describe, expect, it } from "vitest";
import { RESOURCES } from "./kube/resources.js";
import { owns, type Permission, policyRules, reads, reconciles } from "./rbac.js";

describe("policyRules", () => {
  it.each<[string, Permission[], ReturnType<typeof policyRules>]>([
    [
      "merges the verbs granted on one resource, in kubectl's order",
      [{ resource: RESOURCES.Job, verbs: ["get"] }, owns(RESOURCES.Job)],
      [{ apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "patch", "delete"] }],
    ],
    [
      "shares a rule between resources of one group with the same verbs",
      [reads(RESOURCES.Service), reads(RESOURCES.Pod), reads(RESOURCES.Deployment)],
      [
        { apiGroups: [""], resources: ["pods", "services"], verbs: ["list", "watch"] },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
      ],
    ],
    [
      "grants a kind's status as its own resource",
      reconciles(RESOURCES.DataSet),
      [
        { apiGroups: ["liftoff.dev"], resources: ["datasets"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["liftoff.dev"], resources: ["datasets/status"], verbs: ["patch"] },
      ],
    ],
    [
      "keeps a grant on named objects apart from one on every object",
      [
        { resource: RESOURCES.CustomResourceDefinition, verbs: ["get"], resourceNames: ["b", "a"] },
        { resource: RESOURCES.Namespace, verbs: ["get"] },
      ],
      [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
        {
          apiGroups: ["apiextensions.k8s.io"],
          resources: ["customresourcedefinitions"],
          resourceNames: ["a", "b"],
          verbs: ["get"],
        },
      ],
    ],
    ["grants nothing for no permissions", [], []],
  ])("%s", (_name, permissions, rules) => {
    expect(policyRules(permissions)).toEqual(rules);
  });
});
