// The autoscaling children of a ModelDeployment (pure): the engine's autoscaler per track, and for scale to zero the
// Endpoints that put the activator in front (desired.ts adds the selector-less public Service and the track Services).
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import type { DesiredObject } from "../../children/child.js";
import type { ActivatorAddress } from "../../config.js";
import type { ObjectMeta } from "../../kube/types.js";
import { childNames, LABEL_TRACK, type Track } from "../names.js";
import { activatorEndpoints } from "./activation.js";
import { type Engine, scalesToZero } from "./engine.js";
import { horizontalPodAutoscaler } from "./hpa.js";
import { type KedaSettings, scaledObject } from "./keda.js";

/** What the operator's flags give the builders (DesiredContext.autoscaling). */
export interface AutoscalingContext extends KedaSettings {
  /** Where the activator is reached (--activator-advertise); empty when it is off. */
  activatorAddresses: readonly ActivatorAddress[];
}

/**
 * The autoscaler objects for `engine`: KEDA's ScaledObject for the stable track (and one for a canary that scales to
 * zero with it), or our HPA; with minReplicas 0, also the public Service's Endpoints at the activator.
 */
export function autoscalingObjects(
  mdep: ModelDeployment,
  engine: Engine,
  ctx: AutoscalingContext,
  canary: boolean,
  meta: (name: string, extraLabels?: Record<string, string>) => ObjectMeta,
): DesiredObject[] {
  const a = mdep.spec.autoscaling;
  if (!a) return [];
  const name = mdep.metadata?.name ?? "";
  const ns = mdep.metadata?.namespace ?? "";
  const names = childNames(name);
  if (engine === "hpa") return [horizontalPodAutoscaler(name, a, meta(names.hpa))];
  const tracks: Track[] = scalesToZero(a) && canary ? ["stable", "canary"] : ["stable"];
  const out: DesiredObject[] = tracks.map((t) =>
    scaledObject(ns, name, a, t, ctx, meta(names.scaledObject(t), { [LABEL_TRACK]: t })),
  );
  if (scalesToZero(a)) out.push(activatorEndpoints(ctx.activatorAddresses, meta(names.activatorEndpoints)));
  return out;
}
