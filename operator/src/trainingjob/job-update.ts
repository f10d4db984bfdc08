// How the operator updates a training Job that already exists (pure). Its pod template is immutable, and an operator
// started with other settings (no report URL, another image, no Vault) would build a different one: sending that is
// refused as immutable and would fail a run that is fine. So the template is applied only while it is the one the
// Job has; otherwise the Job keeps it and only the run policy fields the API lets change are patched.
import type { Job } from "../kube/models.js";
import { isSubset } from "../kube/semantic.js";

/** Job fields that follow spec.runPolicy after creation (the API server lets these change). */
const RUN_POLICY_FIELDS = ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "suspend"] as const;

export type JobUpdate =
  /** The live Job was made from the same template: apply the desired Job (only what differs is sent). */
  | { action: "apply" }
  /** Made with other settings: merge-patch only the run policy fields that differ. */
  | { action: "patch"; patch: { spec: Partial<Pick<NonNullable<Job["spec"]>, (typeof RUN_POLICY_FIELDS)[number]>> } }
  /** Made with other settings, and its run policy already matches: leave it. */
  | { action: "keep" };

export function jobUpdate(desired: Job, live: Job): JobUpdate {
  if (isSubset(desired.spec?.template, live.spec?.template)) return { action: "apply" };
  const spec: Record<string, unknown> = {};
  for (const f of RUN_POLICY_FIELDS) {
    const want = desired.spec?.[f];
    if (want !== undefined && want !== live.spec?.[f]) spec[f] = want;
  }
  return Object.keys(spec).length > 0 ? { action: "patch", patch: { spec } } : { action: "keep" };
}
