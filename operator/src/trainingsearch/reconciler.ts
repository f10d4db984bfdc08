// Reconciles one TrainingSearch: observe its trials (TrainingJobs it owns, by label), stop the ones its rule says
// lose (suspend + annotation, one merge patch each), create the next trials by index (POST, never apply: a name that
// exists was made by an earlier reconcile or an earlier operator, and is left as it is), then write the status.
// Trials' parameters come from the algorithm, given every trial seen so far.
import type { Logger } from "pino";
import type { TrainingJob, TrainingSearch, TrainingSearchStatus } from "../api/v1alpha1/index.js";
import { controlledBy } from "../children/child.js";
import { findCondition } from "../controller/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { isPermanentRefusal, refusalMessage } from "../kube/apply.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import { ConditionType, Reason } from "../reasons.js";
import { stableStringify } from "../util/stable-json.js";
import { spaceProblems, suggest } from "./algorithm/index.js";
import { trialObject } from "./desired.js";
import { ANNOTATION_STOPPED_EARLY, LABEL_SEARCH } from "./names.js";
import { goalOf, observeTrial, type Trial } from "./observe.js";
import { parameterSpecs, plan, type Stop } from "./plan.js";
import { computeStatus, type SearchObserved } from "./status.js";

export interface TrainingSearchReconcilerOptions {
  client: KubeClient;
  searches: ObjectCache<TrainingSearch>;
  trainingJobs: ObjectCache<TrainingJob>;
  events: EventRecorder;
  now?: () => string;
}

export class TrainingSearchReconciler implements Reconciler {
  readonly kind = "TrainingSearch";
  private readonly now: () => string;

  constructor(private readonly o: TrainingSearchReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  }

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.searches.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return undefined;
    // Succeeded and Failed are final for the spec they saw: a trial whose stop raced its last epoch may still turn
    // Succeeded, but the search's result does not move under a ModelDeployment serving it. A spec change (a larger
    // maxTrials) searches on.
    const phase = cached.status?.phase;
    const final = phase === "Succeeded" || phase === "Failed";
    if (final && cached.status?.observedGeneration === cached.metadata?.generation) return undefined;
    const search = structuredClone(cached);
    const goal = goalOf(search);
    const trials = this.trialsOf(search);
    // What the CRD's rules cannot see (a log range with a step, a fraction in an int's values): no trial is started.
    const problems = spaceProblems(parameterSpecs(search), search.spec.template.spec.model?.layers?.length ?? 0);
    if (problems.length > 0) {
      const blocked = { reason: Reason.InvalidSpec, message: problems.join("; ") };
      const status = computeStatus(
        search,
        { trials, goal, plan: { ...plan(search, [], goal), done: false }, blocked },
        this.now,
      );
      await this.write(search, status, signal);
      return undefined;
    }
    const next = plan(search, trials, goal);
    for (const stop of next.stop) await this.stopTrial(search, stop, log, signal);
    let blocked: SearchObserved["blocked"];
    const all = [...trials];
    for (const index of next.create) {
      const created = await this.createTrial(search, index, all, goal, log, signal);
      if ("blocked" in created) {
        blocked = created.blocked;
        break;
      }
      // Exists already (an earlier pass, not yet in the cache): its watch event brings the next pass.
      if (!created.trial) break;
      all.push(created.trial);
    }
    const observedPlan = next.create.length > 0 || next.stop.length > 0 ? plan(search, all, goal) : next;
    const status = computeStatus(search, { trials: all, goal, plan: observedPlan, blocked }, this.now);
    await this.write(search, status, signal);
    return undefined;
  }

  /** The search's trials from the cache: TrainingJobs with its label that it controls. */
  private trialsOf(search: TrainingSearch): Trial[] {
    const ns = search.metadata?.namespace;
    const name = search.metadata?.name ?? "";
    return this.o.trainingJobs
      .list()
      .filter(
        (tj) =>
          tj.metadata?.namespace === ns &&
          tj.metadata?.labels?.[LABEL_SEARCH] === name.slice(0, 63) &&
          controlledBy(tj, search),
      )
      .flatMap((tj) => {
        const t = observeTrial(tj, search.spec.objective.metric);
        return t ? [t] : [];
      });
  }

  /** Suspends a losing trial (its pods go; its TrainingJob, history and checkpoints stay) and says why. */
  private async stopTrial(search: TrainingSearch, stop: Stop, log: Logger, signal: AbortSignal): Promise<void> {
    const tj = stop.trial.tj;
    const name = tj.metadata?.name ?? "";
    const annotations = { [ANNOTATION_STOPPED_EARLY]: stop.reason.slice(0, 1024) };
    try {
      await this.o.client.mergePatch(
        RESOURCES.TrainingJob,
        tj.metadata?.namespace,
        name,
        { metadata: { annotations }, spec: { runPolicy: { suspend: true } } },
        undefined,
        { signal },
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return; // deleted meanwhile: nothing to stop
      throw err;
    }
    log.info({ trial: name, epoch: stop.epoch }, "stopped trial early");
    await this.o.events.record(search, "Normal", Reason.TrialStoppedEarly, `trial ${name}: ${stop.reason}`);
    // The status written below already counts it as stopped.
    tj.metadata = { ...tj.metadata, annotations: { ...(tj.metadata?.annotations ?? {}), ...annotations } };
    stop.trial.observation.state = "StoppedEarly";
  }

  private async createTrial(
    search: TrainingSearch,
    index: number,
    trials: readonly Trial[],
    goal: ReturnType<typeof goalOf>,
    log: Logger,
    signal: AbortSignal,
  ): Promise<{ trial?: Trial } | { blocked: { reason: string; message: string } }> {
    const parameters = suggest({
      algorithm: { name: "random", seed: 0, ...(search.spec.algorithm ?? {}) },
      parameters: parameterSpecs(search),
      goal,
      index,
      trials: trials.map((t) => t.observation),
    });
    if (!parameters) return {}; // past the grid's end
    const desired = trialObject(search, index, parameters);
    let created: TrainingJob;
    try {
      created = await this.o.client.create(RESOURCES.TrainingJob, desired, { signal });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409) return {};
      if (isPermanentRefusal(err)) {
        return {
          blocked: {
            reason: Reason.ApplyFailed,
            message: `cannot create trial TrainingJob ${desired.metadata?.name}: ${refusalMessage(err)}`,
          },
        };
      }
      throw err;
    }
    const name = desired.metadata?.name ?? "";
    log.info({ trial: name, parameters }, "created trial");
    await this.o.events.record(
      search,
      "Normal",
      Reason.TrialCreated,
      `trial ${name}: ${Object.entries(parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`,
    );
    const trial = observeTrial(created, search.spec.objective.metric);
    return trial ? { trial } : {};
  }

  private async write(search: TrainingSearch, status: TrainingSearchStatus, signal: AbortSignal): Promise<void> {
    if (stableStringify(status) === stableStringify(search.status ?? {})) return;
    await this.o.client.apply(
      RESOURCES.TrainingSearch,
      {
        apiVersion: apiVersionOf(RESOURCES.TrainingSearch),
        kind: "TrainingSearch",
        metadata: { name: search.metadata?.name ?? "", namespace: search.metadata?.namespace ?? "" },
        status,
      },
      "status",
      { signal },
    );
    const before = findCondition(search.status?.conditions, ConditionType.Ready);
    const after = findCondition(status.conditions, ConditionType.Ready);
    if (
      after &&
      after.reason !== Reason.Searching &&
      (before?.status !== after.status || before.reason !== after.reason)
    ) {
      await this.o.events.record(search, after.status === "True" ? "Normal" : "Warning", after.reason, after.message);
    }
  }
}
