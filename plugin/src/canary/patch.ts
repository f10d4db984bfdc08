// The edits promote, abort and retrain make, as JSON merge patches (RFC 7386), and the YAML a GitOps user commits
// instead (docs/modeldeployment.md "Promote a canary", docs/loop.md "Manual" trigger). Pure.

import { PluginError } from "../cli/errors.js";
import type { KubeObject } from "../cli/kube.js";
import { toYaml } from "../cli/terminal.js";

const RETRAIN_ANNOTATION = "liftoff.dev/retrain";

const ref = (m: KubeObject) => `modeldeployment/${m.metadata.name}`;

/** The closed loop's own canary (status.loop stage Canary, no spec.canary): it has no manual promote or abort. */
function refuseLoopCanary(m: KubeObject, verb: "promote" | "abort"): never {
  const loop = m.status?.loop ?? {};
  throw new PluginError(
    "NotApplicable",
    `${ref(m)}'s canary is the closed loop's candidate (iteration ${loop.iteration ?? "?"}): the loop promotes or rolls it back itself on live figures, there is no manual ${verb}`,
    verb === "promote"
      ? "wait for its decision (kubectl liftoff tree mdep/NAME -w), or commit status.loop.candidate as spec.model (docs/loop.md)"
      : "wait for its decision, or remove spec.retrain to stop the loop (docs/loop.md)",
  );
}

function needCanary(m: KubeObject, verb: "promote" | "abort"): Record<string, unknown> {
  const canary = m.spec?.canary;
  if (canary?.model) return canary.model as Record<string, unknown>;
  if (m.status?.loop?.stage === "Canary") refuseLoopCanary(m, verb);
  throw new PluginError(
    "NotApplicable",
    `${ref(m)} has no canary (spec.canary is not set)`,
    "add one with spec.canary.model and trafficPercent (docs/modeldeployment.md, Canary)",
  );
}

export interface Edit {
  /** The merge patch the API server gets. */
  patch: Record<string, unknown>;
  /** The spec as Git should hold it after the edit (for a GitOps-managed object). */
  gitSpec: Record<string, unknown>;
  /** What happened, for the line after patching. */
  done: string;
}

/** Promote: the canary's model becomes spec.model (keys the canary does not set are cleared), canary removed. */
export function promoteEdit(m: KubeObject): Edit {
  const model = needCanary(m, "promote");
  const current = (m.spec?.model ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = {};
  for (const k of Object.keys(current)) if (!(k in model)) next[k] = null;
  Object.assign(next, model);
  const { canary: _c, ...spec } = m.spec ?? {};
  return {
    patch: { spec: { model: next, canary: null } },
    gitSpec: { ...spec, model },
    done: `${ref(m)} promoted: spec.model is the canary's model, the canary is removed`,
  };
}

/** Abort: the canary removed; all traffic goes back to the stable model. */
export function abortEdit(m: KubeObject): Edit {
  needCanary(m, "abort");
  const { canary: _c, ...spec } = m.spec ?? {};
  return {
    patch: { spec: { canary: null } },
    gitSpec: spec,
    done: `${ref(m)} aborted: the canary is removed, all traffic goes to the stable model`,
  };
}

/** Retrain: a new value of the liftoff.dev/retrain annotation (the loop's Manual trigger acts once per value). */
export function retrainEdit(m: KubeObject, token: string): Edit {
  if (!m.spec?.retrain) {
    throw new PluginError(
      "NotApplicable",
      `${ref(m)} has no spec.retrain: the closed loop is not configured`,
      "add spec.retrain to turn it on (docs/loop.md, Turn it on)",
    );
  }
  return {
    patch: { metadata: { annotations: { [RETRAIN_ANNOTATION]: token } } },
    gitSpec: m.spec,
    done: `${ref(m)} annotated ${RETRAIN_ANNOTATION}=${token}: the loop starts a retrain (status.loop.manualToken shows when it has)`,
  };
}

/** The manifest to commit instead of patching: what the object's spec must say after the edit. */
export function gitSnippet(m: KubeObject, edit: Edit): string {
  const doc = {
    apiVersion: m.apiVersion ?? "liftoff.dev/v1alpha1",
    kind: m.kind ?? "ModelDeployment",
    metadata: { name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}) },
    spec: edit.gitSpec,
  };
  return toYaml(doc);
}
