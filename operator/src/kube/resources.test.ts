import { describe, expect, it } from "vitest";
import { ALL_KINDS, API_VERSION, GROUP, ModelDeploymentKind, VERSION } from "../api/v1alpha1/index.js";
import { apiVersionOf, RESOURCES, resourceByKind, resourcePath } from "./resources.js";

describe("resourcePath", () => {
  it("builds core-group paths under /api", () => {
    expect(resourcePath(RESOURCES.Pod, "ns", "p")).toBe("/api/v1/namespaces/ns/pods/p");
    expect(resourcePath(RESOURCES.Pod, "ns")).toBe("/api/v1/namespaces/ns/pods");
    expect(resourcePath(RESOURCES.Pod)).toBe("/api/v1/pods");
  });

  it("builds named-group paths under /apis", () => {
    expect(resourcePath(RESOURCES.Deployment, "team-a", "d")).toBe("/apis/apps/v1/namespaces/team-a/deployments/d");
    expect(resourcePath(RESOURCES.Deployment)).toBe("/apis/apps/v1/deployments");
    expect(resourcePath(RESOURCES.ModelDeployment, "ns", "m")).toBe(
      "/apis/liftoff.dev/v1alpha1/namespaces/ns/modeldeployments/m",
    );
  });

  it("leaves the namespace out for cluster-scoped resources", () => {
    expect(resourcePath(RESOURCES.Node, "ignored", "n1")).toBe("/api/v1/nodes/n1");
    expect(resourcePath(RESOURCES.CustomResourceDefinition, undefined, "x.liftoff.dev")).toBe(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.liftoff.dev",
    );
  });

  it("appends a subresource only to a named object", () => {
    expect(resourcePath(RESOURCES.ModelDeployment, "ns", "m", "status")).toBe(
      "/apis/liftoff.dev/v1alpha1/namespaces/ns/modeldeployments/m/status",
    );
    expect(resourcePath(RESOURCES.ModelDeployment, "ns", undefined, "status")).toBe(
      "/apis/liftoff.dev/v1alpha1/namespaces/ns/modeldeployments",
    );
  });

  it("escapes names and namespaces", () => {
    expect(resourcePath(RESOURCES.Pod, "a/b", "c d")).toBe("/api/v1/namespaces/a%2Fb/pods/c%20d");
  });
});

describe("apiVersionOf and resourceByKind", () => {
  it("writes the core group as the bare version", () => {
    expect(apiVersionOf(RESOURCES.Service)).toBe("v1");
    expect(apiVersionOf(RESOURCES.HorizontalPodAutoscaler)).toBe("autoscaling/v2");
  });

  it("finds a resource by apiVersion and kind, and only by both", () => {
    expect(resourceByKind("apps/v1", "Deployment")).toBe(RESOURCES.Deployment);
    expect(resourceByKind("v1", "Pod")).toBe(RESOURCES.Pod);
    expect(resourceByKind("extensions/v1beta1", "Deployment")).toBeUndefined();
    expect(resourceByKind("v1", "Deployment")).toBeUndefined();
  });
});

describe("Liftoff's own resources", () => {
  it("take group, version and plural from the API definition", () => {
    for (const def of ALL_KINDS) {
      const r = resourceByKind(API_VERSION, def.kind);
      expect(r).toMatchObject({ group: GROUP, version: VERSION, kind: def.kind, plural: def.plural, namespaced: true });
    }
    expect(RESOURCES.ModelDeployment.plural).toBe(ModelDeploymentKind.plural);
  });
});
