import { describe, expect, it } from "vitest";
import { PluginError } from "../cli/errors.js";
import type { KubeObject } from "../cli/kube.js";
import { gitOpsManager } from "./gitops.js";
import { abortEdit, gitSnippet, promoteEdit, retrainEdit } from "./patch.js";

const mdep = (spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "ModelDeployment",
  metadata: { name: "iris", namespace: "demo" },
  spec,
  ...extra,
});
const withCanary = () =>
  mdep({
    model: { trainingJobRef: { name: "iris" } },
    replicas: 3,
    canary: { model: { uri: "pvc://models/iris/v2/model.json" }, trafficPercent: 25 },
  });

function lineOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PluginError) return err.line();
    throw err;
  }
  return "no error";
}

describe("promote, abort and retrain edits", () => {
  it("promote moves the canary's model into spec.model and removes the canary in one merge patch", () => {
    const e = promoteEdit(withCanary());
    expect(e.patch).toEqual({
      spec: { model: { trainingJobRef: null, uri: "pvc://models/iris/v2/model.json" }, canary: null },
    });
    expect(gitSnippet(withCanary(), e)).toBe(
      [
        "apiVersion: liftoff.dev/v1alpha1",
        "kind: ModelDeployment",
        "metadata:",
        "  name: iris",
        "  namespace: demo",
        "spec:",
        "  model:",
        "    uri: pvc://models/iris/v2/model.json",
        "  replicas: 3",
      ].join("\n"),
    );
  });

  it("abort removes the canary", () => {
    expect(abortEdit(withCanary()).patch).toEqual({ spec: { canary: null } });
  });

  it("refuses without a canary, and for the closed loop's own canary, in one line with a hint", () => {
    const plain = mdep({ model: { uri: "pvc://m/x" } });
    expect(lineOf(() => promoteEdit(plain))).toBe(
      "error: modeldeployment/iris has no canary (spec.canary is not set); add one with spec.canary.model and trafficPercent (docs/modeldeployment.md, Canary)",
    );
    const loop = mdep(
      { model: { uri: "pvc://m/x" }, retrain: {} },
      { status: { loop: { stage: "Canary", iteration: 3 } } },
    );
    expect(lineOf(() => abortEdit(loop))).toMatch(
      /^error: modeldeployment\/iris's canary is the closed loop's candidate \(iteration 3\).*no manual abort; /,
    );
  });

  it("retrain sets a new liftoff.dev/retrain token, and only with spec.retrain", () => {
    expect(retrainEdit(mdep({ retrain: {} }), "t1").patch).toEqual({
      metadata: { annotations: { "liftoff.dev/retrain": "t1" } },
    });
    expect(lineOf(() => retrainEdit(mdep({}), "t1"))).toBe(
      "error: modeldeployment/iris has no spec.retrain: the closed loop is not configured; add spec.retrain to turn it on (docs/loop.md, Turn it on)",
    );
  });
});

describe("GitOps detection", () => {
  it("finds Argo CD and Flux by their labels, annotations and field managers", () => {
    const meta = (m: Record<string, unknown>) => mdep({}, { metadata: { name: "iris", ...m } });
    expect(
      gitOpsManager(
        meta({ annotations: { "argocd.argoproj.io/tracking-id": "app:liftoff.dev/ModelDeployment:demo/iris" } }),
      )?.tool,
    ).toBe("Argo CD");
    expect(gitOpsManager(meta({ labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } }))).toEqual({
      tool: "Flux",
      evidence: "label kustomize.toolkit.fluxcd.io/name=apps",
    });
    expect(gitOpsManager(meta({ labels: { "helm.toolkit.fluxcd.io/name": "r" } }))?.tool).toBe("Flux");
    expect(
      gitOpsManager(
        meta({ managedFields: [{ manager: "kubectl-client-side-apply" }, { manager: "argocd-controller" }] }),
      )?.tool,
    ).toBe("Argo CD");
    expect(gitOpsManager(meta({ managedFields: [{ manager: "kustomize-controller" }] }))?.tool).toBe("Flux");
    expect(
      gitOpsManager(
        meta({ labels: { "app.kubernetes.io/instance": "iris" }, managedFields: [{ manager: "kubectl" }] }),
      ),
    ).toBeUndefined();
  });
});
