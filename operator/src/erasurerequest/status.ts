// An ErasureRequest's status from its erase Job, the run's report and the lineage the caches show (pure). The record
// (found, rewritten, shredded, notIndexed) comes from the erase pod's report once and is kept; flagged and retrained
// are recomputed from the TrainingJobs and ModelDeployments each time. Complete (and Ready, its kstatus twin) is True
// only when every version was searched and rewritten and every retrain asked for has trained; a retrain that failed,
// or a version without an index, leaves it False with the reason Incomplete, and the old models stay flagged.
import type {
  DataSet,
  ErasureRequest,
  ErasureRequestStatus,
  ModelDeployment,
  TrainingJob,
} from "../api/v1alpha1/index.js";
import type { ErasureOutcome } from "../contract/erasure.js";
import { applyConditions, type ConditionInput, findCondition } from "../controller/conditions.js";
import type { KubeObject } from "../kube/types.js";
import { ConditionType, Reason } from "../reasons.js";
import { ANNOTATION_RETRAIN_OF, erasureNames, LABEL_ERASURE } from "./names.js";

export interface ErasureObserved {
  ds?: DataSet | undefined;
  job?: KubeObject | undefined;
  /** What the erase pod just reported. */
  outcome?: ErasureOutcome | undefined;
  failure?: { reason: string; message: string } | undefined;
  /** Why the Job cannot run (no DataSet, no index, reporting or Vault off, an API refusal). */
  blocked?: { reason: string; message: string; waiting?: boolean } | undefined;
  trainingJobs: readonly TrainingJob[];
  modelDeployments: readonly ModelDeployment[];
}

type Status = ErasureRequestStatus;
type Flagged = NonNullable<Status["flagged"]>[number];

const short = (digest: string) => digest.slice(7, 19);
const phaseOf = (tj: TrainingJob | undefined) => tj?.status?.phase;

/** The record of the erase pod's report, as the status keeps it. */
function record(
  o: ErasureOutcome,
): Pick<Status, "found" | "rewritten" | "shredded" | "notIndexed" | "rowsFound" | "versionsRewritten"> {
  return {
    rowsFound: o.found.reduce((a, f) => a + f.rows, 0),
    versionsRewritten: o.rewritten.length,
    found: o.found.map((f) => ({ version: short(f.digest), digest: f.digest, rows: f.rows })),
    rewritten: o.rewritten.map((r) => ({ ...r })),
    shredded: o.shredded.map((s) => ({
      version: short(s.digest),
      digest: s.digest,
      ...(s.keyId ? { keyId: s.keyId } : {}),
    })),
    ...(o.notIndexed.length > 0 ? { notIndexed: [...o.notIndexed] } : {}),
  };
}

/** The versions the request found the subjects in: a model trained on one of them learnt from their rows. */
export const affectedVersions = (req: ErasureRequest): Set<string> =>
  new Set((req.status?.found ?? []).map((f) => f.digest));

/** Whether the TrainingJob was made by an ErasureRequest (a retrain on a rewritten version). */
const isRetrain = (tj: TrainingJob) => tj.metadata?.labels?.[LABEL_ERASURE] !== undefined;

/** TrainingJobs (in the request's namespace) whose model was trained on an affected version, by name. */
export function flaggedTrainingJobs(
  req: ErasureRequest,
  affected: ReadonlySet<string>,
  trainingJobs: readonly TrainingJob[],
): TrainingJob[] {
  return trainingJobs
    .filter(
      (tj) =>
        tj.metadata?.namespace === req.metadata?.namespace &&
        !isRetrain(tj) &&
        affected.has(tj.status?.model?.dataSetDigest ?? ""),
    )
    .sort((a, b) => ((a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1));
}

/** ModelDeployments that serve one of those TrainingJobs' models (by name or by the artifact's digest). */
function servingFlagged(
  namespace: string | undefined,
  flagged: readonly TrainingJob[],
  modelDeployments: readonly ModelDeployment[],
): ModelDeployment[] {
  const names = new Set(flagged.map((t) => t.metadata?.name));
  const digests = new Set(flagged.flatMap((t) => (t.status?.model?.digest ? [t.status.model.digest] : [])));
  return modelDeployments
    .filter(
      (m) =>
        m.metadata?.namespace === namespace &&
        (digests.has(m.status?.model?.digest ?? "") ||
          (m.status?.model?.digest === undefined && names.has(m.spec.model.trainingJobRef?.name))),
    )
    .sort((a, b) => ((a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1));
}

/** The request's retrains in the cache, by the TrainingJob each retrains. */
export function retrainsOf(req: ErasureRequest, trainingJobs: readonly TrainingJob[]): Map<string, TrainingJob> {
  const out = new Map<string, TrainingJob>();
  for (const tj of trainingJobs) {
    if (tj.metadata?.namespace !== req.metadata?.namespace) continue;
    if (tj.metadata?.labels?.[LABEL_ERASURE] !== req.metadata?.name?.slice(0, 63)) continue;
    const of = tj.metadata?.annotations?.[ANNOTATION_RETRAIN_OF];
    if (of && tj.metadata?.name === erasureNames(req.metadata?.name ?? "").retrain(of)) out.set(of, tj);
  }
  return out;
}

export const wantsRetrain = (ds: DataSet | undefined) => ds?.spec.privacy?.onErasure === "Retrain";

function completion(
  req: ErasureRequest,
  status: Status,
  o: ErasureObserved,
  flaggedTjs: readonly TrainingJob[],
): ConditionInput[] {
  const rows = status.rowsFound ?? 0;
  const versions = status.versionsRewritten ?? 0;
  const models = status.flagged?.length ?? 0;
  const done = `${rows} row(s) of the subjects erased from ${versions} version(s) (rewritten, old versions shredded); ${models} object(s) flagged ErasurePending`;
  if ((status.notIndexed?.length ?? 0) > 0) {
    const list = (status.notIndexed ?? []).map(short).join(", ");
    return incomplete(
      Reason.Incomplete,
      `${done}; but version(s) ${list} of DataSet ${req.spec.dataSetRef.name} have no subject index (prepared before spec.privacy was set), so they could not be searched: delete them (or the DataSet's older generations) and create a new ErasureRequest`,
    );
  }
  if (wantsRetrain(o.ds) && flaggedTjs.length > 0) {
    const retrains = retrainsOf(req, o.trainingJobs);
    for (const tj of flaggedTjs) {
      const r = retrains.get(tj.metadata?.name ?? "");
      if (phaseOf(r) === "Failed") {
        const ready = findCondition(r?.status?.conditions, ConditionType.Ready);
        return incomplete(
          Reason.Incomplete,
          `retrain ${r?.metadata?.name} of TrainingJob ${tj.metadata?.name} failed (${ready?.reason ?? "Failed"}: ${ready?.message ?? "no message"}); the old model stays flagged ErasurePending: fix the cause and delete ${r?.metadata?.name} to retrain again`,
        );
      }
    }
    const waitingFor = flaggedTjs.filter((t) => phaseOf(retrains.get(t.metadata?.name ?? "")) !== "Succeeded");
    if (waitingFor.length > 0) {
      const msg = `${done}; retraining ${waitingFor.map((t) => t.metadata?.name).join(", ")} on the rewritten version (spec.privacy.onErasure: Retrain)`;
      return [
        ...both("False", Reason.Erasing, msg),
        { type: ConditionType.Reconciling, status: "True", reason: Reason.Erasing, message: msg },
      ];
    }
    return both("True", Reason.Erased, `${done}; ${flaggedTjs.length} model(s) retrained on the rewritten version`);
  }
  return both("True", Reason.Erased, done);
}

const both = (status: "True" | "False", reason: string, message: string): ConditionInput[] => [
  { type: ConditionType.Complete, status, reason, message },
  { type: ConditionType.Ready, status, reason, message },
];

const incomplete = (reason: string, message: string): ConditionInput[] => [
  ...both("False", reason, message),
  { type: ConditionType.Stalled, status: "True", reason, message },
];

function jobCondition(job: KubeObject | undefined, type: string): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((c: { type: string; status: string }) => c.type === type && c.status === "True");
}

export function computeStatus(req: ErasureRequest, o: ErasureObserved, now: () => string): Status {
  const prev = req.status ?? {};
  const gen = req.metadata?.generation;
  const status: Status = {};
  const hasRecord = o.outcome !== undefined || prev.found !== undefined;
  if (o.outcome) Object.assign(status, record(o.outcome));
  else {
    for (const k of ["rowsFound", "versionsRewritten", "found", "rewritten", "shredded", "notIndexed"] as const) {
      if (prev[k] !== undefined) (status as Record<string, unknown>)[k] = prev[k];
    }
  }
  let conditions: ConditionInput[];
  if (hasRecord) {
    const affected = new Set((status.found ?? []).map((f) => f.digest));
    const tjs = flaggedTrainingJobs(req, affected, o.trainingJobs);
    const mdeps = servingFlagged(req.metadata?.namespace, tjs, o.modelDeployments);
    const flagged: Flagged[] = [
      ...tjs.map((t) => ({ kind: "TrainingJob" as const, name: t.metadata?.name ?? "" })),
      ...mdeps.map((m) => ({ kind: "ModelDeployment" as const, name: m.metadata?.name ?? "" })),
    ];
    if (flagged.length > 0) status.flagged = flagged;
    const retrains = retrainsOf(req, o.trainingJobs);
    const retrained = tjs.flatMap((t) => {
      const r = retrains.get(t.metadata?.name ?? "");
      if (!r) return [];
      return [
        {
          trainingJob: t.metadata?.name ?? "",
          retrainedAs: r.metadata?.name ?? "",
          from: t.status?.model?.dataSetDigest ?? "",
          ...(r.status?.model?.dataSetDigest ? { to: r.status.model.dataSetDigest } : {}),
          ...(r.status?.model?.digest ? { model: r.status.model.digest } : {}),
        },
      ];
    });
    if (retrained.length > 0) status.retrained = retrained;
    conditions = completion(req, status, o, tjs);
  } else if (o.blocked) {
    conditions = o.blocked.waiting
      ? [
          ...both("False", o.blocked.reason, o.blocked.message),
          { type: ConditionType.Reconciling, status: "True", reason: o.blocked.reason, message: o.blocked.message },
        ]
      : incomplete(o.blocked.reason, o.blocked.message);
  } else if (o.failure) {
    conditions = incomplete(o.failure.reason, `the erase Job failed: ${o.failure.message}`);
  } else if (findCondition(prev.conditions, ConditionType.Stalled)?.status === "True" && o.job) {
    return structuredClone(prev); // a reported failure, kept while its Job exists (deleting the Job retries)
  } else if (jobCondition(o.job, "Failed")) {
    const c = jobCondition(o.job, "Failed");
    conditions = incomplete(
      Reason.Incomplete,
      `the erase Job ${o.job?.metadata?.name} failed without reporting (${c?.reason ?? "Failed"}: ${c?.message ?? "no message"}); see its pod's log, and delete the Job to run it again`,
    );
  } else {
    const msg = `the erase Job ${erasureNames(req.metadata?.name ?? "").job} is searching DataSet ${req.spec.dataSetRef.name}'s versions`;
    conditions = [
      ...both("False", Reason.Erasing, msg),
      { type: ConditionType.Reconciling, status: "True", reason: Reason.Erasing, message: msg },
    ];
  }
  if (gen !== undefined) status.observedGeneration = gen;
  status.conditions = applyConditions(prev.conditions, conditions, gen, now);
  return status;
}
