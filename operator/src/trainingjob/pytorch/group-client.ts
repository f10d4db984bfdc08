// Carries out a worker group's plan against the API (group.ts decides, this acts): deletes the pods the plan
// drops, runs the gang check before an attempt starts, and creates worker pods with POST — a name fixed by attempt
// and index, so a second operator (or a retried reconcile) gets AlreadyExists instead of a second worker.
import type { Logger } from "pino";
import type { TrainingJob } from "../../api/v1alpha1/index.js";
import type { EventRecorder } from "../../controller/events.js";
import { KubeApiError, type KubeClient } from "../../kube/client.js";
import type { Node, Pod } from "../../kube/models.js";
import { parseQuantity } from "../../kube/quantity.js";
import { RESOURCES } from "../../kube/resources.js";
import { Reason } from "../../reasons.js";
import type { TrainingContext } from "../desired.js";
import { gangFit } from "./gang.js";
import type { GroupPlan, GroupView, Worker } from "./group.js";
import { type PyTorchImages, workerPod } from "./worker-pod.js";

export interface WorkerGroupOptions {
  client: KubeClient;
  events: EventRecorder;
  images: PyTorchImages;
}

/** Why the group does not run now, for the status (undefined: nothing held it). */
export type Held = { reason: string; message: string } | undefined;

const DEFAULT_REQUEST = { cpu: "1", memory: "2Gi" };

export class WorkerGroup {
  constructor(private readonly o: WorkerGroupOptions) {}

  async carryOut(
    tj: TrainingJob,
    view: GroupView,
    plan: GroupPlan,
    ctx: TrainingContext,
    log: Logger,
    signal: AbortSignal,
  ): Promise<Held> {
    const full = { ...ctx, images: this.o.images };
    if ("delete" in plan) await this.remove(plan.delete, signal);
    switch (plan.action) {
      case "start": {
        // Its own pods being deleted (the attempt before) are on their way out: they do not hold a place.
        const leaving = new Set([...view.stopping, ...plan.delete].map((w) => w.name));
        const gang = await this.gangCheck(tj, leaving, signal);
        if (gang) return gang;
        if (plan.why) {
          await this.o.events.record(
            tj,
            "Warning",
            Reason.GroupRestarted,
            `${plan.why}; restarting all ${tj.spec.pytorch?.workers ?? 1} workers as attempt ${plan.attempt} from the last checkpoint`,
          );
        }
        await this.create(workerPod(tj, full, plan.attempt, 0), log, signal);
        return undefined;
      }
      case "create":
        for (const i of plan.indices) {
          await this.create(workerPod(tj, full, plan.attempt, i, plan.masterAddress), log, signal);
        }
        return undefined;
      case "unschedulable":
        await this.o.events.record(tj, "Warning", Reason.InsufficientCapacity, plan.message);
        return { reason: Reason.InsufficientCapacity, message: plan.message };
      default:
        return undefined;
    }
  }

  private async remove(workers: readonly Worker[], signal: AbortSignal): Promise<void> {
    for (const w of workers) {
      await this.o.client.delete(RESOURCES.Pod, w.pod.metadata?.namespace, w.name, "Background", { signal });
    }
  }

  private async create(pod: Pod, log: Logger, signal: AbortSignal): Promise<void> {
    try {
      await this.o.client.create(RESOURCES.Pod, pod, { signal });
      log.info({ pod: pod.metadata?.name }, "created worker pod");
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 409) return; // made by an earlier reconcile
      throw err;
    }
  }

  /** All workers fit now, or why not (the nodes and what each has room for). */
  private async gangCheck(tj: TrainingJob, leaving: ReadonlySet<string>, signal: AbortSignal): Promise<Held> {
    const total = tj.spec.pytorch?.workers ?? 1;
    const r = tj.spec.resources;
    const want = {
      cpu: parseQuantity(String(r?.cpu ?? DEFAULT_REQUEST.cpu)) ?? 1,
      memory: parseQuantity(String(r?.memory ?? DEFAULT_REQUEST.memory)) ?? 0,
      gpu: r?.gpu ?? 0,
    };
    const [nodes, pods] = await Promise.all([
      this.o.client.list<Node>(RESOURCES.Node, undefined, {}, { signal }),
      this.o.client.list<Pod>(
        RESOURCES.Pod,
        undefined,
        { fieldSelector: "status.phase!=Succeeded,status.phase!=Failed" },
        { signal },
      ),
    ]);
    const others = pods.items.filter(
      (p) => !(p.metadata?.namespace === tj.metadata?.namespace && leaving.has(p.metadata?.name ?? "")),
    );
    const fit = gangFit(nodes.items, others, want, total, tj.spec.nodeSelector ?? {}, tj.spec.tolerations ?? []);
    if (fit.fits) return undefined;
    const size = `cpu ${r?.cpu ?? DEFAULT_REQUEST.cpu}, memory ${r?.memory ?? DEFAULT_REQUEST.memory}${want.gpu ? `, ${want.gpu} GPU` : ""}`;
    return {
      reason: Reason.InsufficientCapacity,
      message: `${total} workers of ${size} each do not fit: the cluster has room for ${fit.room} now (${fit.nodes.join("; ") || "no nodes"}); no worker is started until all fit — lower spec.pytorch.workers or resources, or add nodes`,
    };
  }
}
