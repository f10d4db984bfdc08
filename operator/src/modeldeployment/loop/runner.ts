// The loop's side of a ModelDeployment reconcile: gathers what the state machine needs from the caches (children,
// templates, canary, live figures and the judge's verdict), applies its actions (create/delete children), and after
// the status write records its Events and metrics. The decisions themselves are machine.ts's (pure).
import type { Logger } from "pino";
import type { DataSet, ModelDeployment, TrainingJob } from "../../api/v1alpha1/index.js";
import { LOOP_STAGES, LoopTrigger } from "../../api/v1alpha1/retrain.js";
import { controlledBy, notControlledMessage } from "../../children/child.js";
import { findCondition } from "../../controller/conditions.js";
import type { EventRecorder } from "../../controller/events.js";
import type { ObjectCache } from "../../controller/informer.js";
import { ANNOTATION_RETRAIN_OF, LABEL_ERASURE } from "../../erasurerequest/names.js";
import { applyIfDiffers, refusedChild } from "../../kube/apply.js";
import type { KubeClient } from "../../kube/client.js";
import type { Deployment } from "../../kube/models.js";
import { RESOURCES } from "../../kube/resources.js";
import { ConditionType, Reason } from "../../reasons.js";
import { childNames } from "../names.js";
import { templateNames } from "./children.js";
import type { TrackFigures } from "./figures.js";
import type { JudgePolicy } from "./judge.js";
import {
  type LoopObserved,
  type LoopStatus,
  type LoopStep,
  type LoopVerdict,
  nextLoopStep,
  type RecordedFigures,
} from "./machine.js";
import { LABEL_LOOP } from "./names.js";
import { loopPolicy } from "./policy.js";

type Track = "stable" | "canary";

interface LoopMetrics {
  stage: { set(labels: { namespace: string; name: string; stage: string }, value: number): void };
  total: { inc(labels: { namespace: string; name: string; decision: string }): void };
}

export interface LoopRunnerOptions {
  client: Pick<KubeClient, "apply" | "delete">;
  trainingJobs: ObjectCache<TrainingJob>;
  dataSets?: ObjectCache<DataSet>;
  deployments?: ObjectCache<Deployment>;
  events: EventRecorder;
  /** Per-track figures of the serving pods (monitoring/snapshots.ts getTrack). */
  figures?: (key: string, track: Track) => TrackFigures | undefined;
  /** The judge: canary vs stable under the policy (judge.ts's; tests may pass another). */
  judge?: (stable: TrackFigures, canary: TrackFigures, policy: JudgePolicy) => LoopVerdict;
  periodSeconds: number;
  metrics?: LoopMetrics;
  clockMs?: () => number;
}

/** A track without pods that pushed: nothing measured (the judge waits on it). */
const NO_FIGURES: TrackFigures = { pods: 0, feedback: 0, correct: 0, requests: 0, errors: 0 };

const FIGURE_KEYS: (keyof RecordedFigures)[] = [
  "pods",
  "feedback",
  "correct",
  "accuracy",
  "macroF1",
  "mae",
  "rmse",
  "driftScore",
  "requests",
  "errors",
  "errorRate",
  "p99Ms",
];
const REQUIRED: (keyof RecordedFigures)[] = ["pods", "feedback", "correct", "requests", "errors"];
const INTEGER = new Set<keyof RecordedFigures>(["pods", "feedback", "correct", "requests", "errors"]);

/** The figures status.loop records: the schema's fields only, finite numbers, counts as integers. */
function recordFigures(f: TrackFigures): RecordedFigures {
  const out: Record<string, number> = {};
  for (const k of FIGURE_KEYS) {
    const v = f[k];
    if (typeof v === "number" && Number.isFinite(v)) out[k] = INTEGER.has(k) ? Math.round(v) : v;
    else if (REQUIRED.includes(k)) out[k] = 0;
  }
  return out as unknown as RecordedFigures;
}

/** A Deployment that has a ready pod at its current generation. */
function hasReadyPod(dep: Deployment | undefined): boolean {
  if (!dep) return false;
  const s = dep.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1) &&
    (s.readyReplicas ?? 0) > 0 &&
    (s.updatedReplicas ?? 0) > 0
  );
}

const isActiveStage = (stage: string | undefined) => stage === "Retraining" || stage === "Canary";

/**
 * The retrain an ErasureRequest made of the model this ModelDeployment serves (flagged ErasurePending), once it has
 * trained; undefined when there is none or its model was tried already (promoted, or in the loop's history).
 */
export function erasureCandidate(mdep: ModelDeployment, trainingJobs: readonly TrainingJob[]): LoopObserved["erasure"] {
  const ns = mdep.metadata?.namespace;
  const loop = mdep.status?.loop;
  const served = loop?.promoted?.trainingJob ?? mdep.spec.model.trainingJobRef?.name;
  if (!served) return undefined;
  const tj = trainingJobs.find((t) => t.metadata?.namespace === ns && t.metadata?.name === served);
  if (findCondition(tj?.status?.conditions, ConditionType.ErasurePending)?.status !== "True") return undefined;
  const tried = new Set([...(loop?.history ?? []).map((h) => h.modelDigest), loop?.promoted?.digest]);
  const retrain = trainingJobs.find(
    (t) =>
      t.metadata?.namespace === ns &&
      t.metadata?.labels?.[LABEL_ERASURE] !== undefined &&
      t.metadata?.annotations?.[ANNOTATION_RETRAIN_OF] === served &&
      t.status?.phase === "Succeeded" &&
      t.status.model?.uri &&
      !tried.has(t.status.model.digest),
  );
  const model = retrain?.status?.model;
  if (!retrain || !model) return undefined;
  return {
    request: retrain.metadata?.labels?.[LABEL_ERASURE] ?? "",
    trainingJob: retrain.metadata?.name ?? "",
    uri: model.uri,
    ...(model.digest ? { digest: model.digest } : {}),
    ...(model.dataSetDigest ? { dataDigest: model.dataSetDigest } : {}),
  };
}

export class LoopRunner {
  constructor(private readonly o: LoopRunnerOptions) {}

  /** What the cluster shows the state machine. */
  observe(key: string, mdep: ModelDeployment): LoopObserved {
    const ns = mdep.metadata?.namespace ?? "";
    const name = mdep.metadata?.name ?? "";
    const loop = mdep.status?.loop;
    const tjOf = (n: string) => this.o.trainingJobs.get(`${ns}/${n}`);
    const dsOf = (n: string) => this.o.dataSets?.get(`${ns}/${n}`);
    const names = templateNames(mdep, tjOf);
    const templates = {
      names,
      ...(names.trainingJob && tjOf(names.trainingJob) ? { trainingJob: tjOf(names.trainingJob) as TrainingJob } : {}),
      ...(names.dataSet && dsOf(names.dataSet) ? { dataSet: dsOf(names.dataSet) as DataSet } : {}),
    };
    const o: LoopObserved = {
      nowMs: (this.o.clockMs ?? Date.now)(),
      periodSeconds: this.o.periodSeconds,
      templates,
      children: [],
      canaryReady: false,
    };
    const mine = (obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }) =>
      obj.metadata?.namespace === ns && obj.metadata?.labels?.[LABEL_LOOP] === name;
    for (const ds of this.o.dataSets?.list() ?? [])
      if (mine(ds) && controlledBy(ds, mdep)) o.children.push({ resource: "DataSet", name: ds.metadata?.name ?? "" });
    for (const tj of this.o.trainingJobs.list())
      if (mine(tj) && controlledBy(tj, mdep))
        o.children.push({ resource: "TrainingJob", name: tj.metadata?.name ?? "" });
    const erasure = erasureCandidate(mdep, this.o.trainingJobs.list());
    if (erasure && !isActiveStage(loop?.stage)) o.erasure = erasure;
    // An erasure loop's candidate is the ErasureRequest's TrainingJob, not a child of this ModelDeployment.
    const external = loop?.trigger?.reason === LoopTrigger.Erasure;
    if (!external && (loop?.stage === "Retraining" || loop?.stage === "Canary")) {
      const ds = loop.dataSet ? dsOf(loop.dataSet) : undefined;
      const tj = loop.trainingJob ? tjOf(loop.trainingJob) : undefined;
      if (ds && !controlledBy(ds, mdep))
        o.foreign = {
          resource: "DataSet",
          message: notControlledMessage("DataSet", ds.metadata?.name, "ModelDeployment"),
        };
      else if (ds) o.dataSet = ds;
      if (tj && !controlledBy(tj, mdep))
        o.foreign ??= {
          resource: "TrainingJob",
          message: notControlledMessage("TrainingJob", tj.metadata?.name, "ModelDeployment"),
        };
      else if (tj) o.trainingJob = tj;
    }
    if (loop?.stage === "Canary" && !mdep.spec.canary) {
      o.canaryReady = hasReadyPod(this.o.deployments?.get(`${ns}/${childNames(name).deployment("canary")}`));
      if (o.canaryReady && this.o.judge && mdep.spec.retrain) {
        const stable = this.o.figures?.(key, "stable") ?? NO_FIGURES;
        const canary = this.o.figures?.(key, "canary") ?? NO_FIGURES;
        const verdict = this.o.judge(stable, canary, loopPolicy(mdep.spec.retrain).judge);
        o.judged = { verdict, figures: { stable: recordFigures(stable), canary: recordFigures(canary) } };
      }
    }
    return o;
  }

  /** The next step, with its actions applied (children created or deleted); a refused create fails the loop. */
  async step(key: string, mdep: ModelDeployment, log: Logger, signal: AbortSignal): Promise<LoopStep> {
    // Most ModelDeployments have no loop: nothing to look up.
    if (!mdep.spec.retrain && !mdep.status?.loop) return { actions: [], events: [] };
    const step = nextLoopStep(mdep, this.observe(key, mdep));
    const ns = mdep.metadata?.namespace ?? "";
    for (const a of step.actions) {
      if (a.op === "delete") {
        const resource = a.resource === "DataSet" ? RESOURCES.DataSet : RESOURCES.TrainingJob;
        await this.o.client.delete(resource, ns, a.name, undefined, { signal });
        log.info({ child: `${resource.plural}/${ns}/${a.name}` }, "deleted a finished loop's child");
        continue;
      }
      const { resource, object } = a.child;
      const cache = (resource === RESOURCES.DataSet ? this.o.dataSets : this.o.trainingJobs) as ObjectCache | undefined;
      const out = await applyIfDiffers(this.o.client, resource, object, cache?.get(`${ns}/${object.metadata.name}`), {
        signal,
      });
      if (out.result === "refused" && step.loop) {
        // Said in status.loop (and LoopFailed): the API server refuses the copy of the template.
        const reason = resource === RESOURCES.DataSet ? Reason.RetrainDataSetFailed : Reason.RetrainTrainingJobFailed;
        const message = refusedChild(resource.kind, object.metadata.name, out.error);
        Object.assign(step.loop, { stage: "Failed", reason, message });
        step.events = [{ type: "Warning", reason, message }];
        break;
      }
      if (out.result === "created")
        log.info({ child: `${resource.plural}/${ns}/${object.metadata.name}` }, "created loop child");
    }
    return step;
  }

  /** After the reconcile: the stage gauge; once the status is written, an Event per stage change and the count. */
  async recorded(mdep: ModelDeployment, prev: LoopStatus | undefined, step: LoopStep, wrote: boolean): Promise<void> {
    const namespace = mdep.metadata?.namespace ?? "";
    const name = mdep.metadata?.name ?? "";
    const loop = step.loop;
    if (loop && this.o.metrics) {
      for (const s of LOOP_STAGES) this.o.metrics.stage.set({ namespace, name, stage: s }, s === loop.stage ? 1 : 0);
    }
    if (!wrote) return;
    for (const e of step.events) await this.o.events.record(mdep, e.type, e.reason, e.message);
    if (loop && this.o.metrics && loop.finishedAt !== undefined && prev?.finishedAt !== loop.finishedAt) {
      const decision = loop.stage === "Promoted" ? "promote" : loop.stage === "RolledBack" ? "rollback" : "failed";
      this.o.metrics.total.inc({ namespace, name, decision });
    }
  }
}
