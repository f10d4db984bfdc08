// Whether a whole worker group fits the cluster now (pure): the gang check that runs before a group is started, so
// its workers start together or not at all. The default scheduler places pods one by one, so a group larger than
// the free capacity would start some workers that then wait in the rendezvous, holding their CPUs and GPUs, for
// peers that never come; Volcano and the coscheduling plugin answer that with a PodGroup, we with this check (no
// extra scheduler to install). It counts what the scheduler counts: each node's allocatable less the requests of
// the pods bound to it and not finished, on Ready, schedulable nodes whose labels and taints the workers accept.
import type { V1Toleration } from "@kubernetes/client-node";
import type { Node, Pod } from "../../kube/models.js";
import { parseQuantity } from "../../kube/quantity.js";
import type { Wire } from "../../kube/types.js";
import { ConditionType } from "../../reasons.js";

/** What one worker requests. */
export interface WorkerRequest {
  /** Cores. */
  cpu: number;
  /** Bytes. */
  memory: number;
  gpu: number;
}

export interface GangFit {
  fits: boolean;
  /** How many such workers the cluster has room for now (at most the group's size plus one: enough to say). */
  room: number;
  /** One line per node considered: its name and its room, or why it is left out. */
  nodes: string[];
}

const GPU = "nvidia.com/gpu";

function tolerates(tolerations: readonly Wire<V1Toleration>[], taint: { key: string; value?: string; effect: string }) {
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === "" || t.effect === taint.effect) &&
      (t.operator === "Exists" ? t.key === undefined || t.key === "" || t.key === taint.key : t.key === taint.key) &&
      (t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "")),
  );
}

/** Why a node takes no worker at all, or undefined when it may. */
function excluded(
  node: Node,
  selector: Readonly<Record<string, string>>,
  tolerations: readonly Wire<V1Toleration>[],
): string | undefined {
  if (node.spec?.unschedulable) return "cordoned";
  const ready = node.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (ready?.status !== "True") return "not Ready";
  const labels = node.metadata?.labels ?? {};
  const miss = Object.entries(selector).find(([k, v]) => labels[k] !== v);
  if (miss) return `no label ${miss[0]}=${miss[1]}`;
  const taint = (node.spec?.taints ?? []).find(
    (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tolerations, t),
  );
  if (taint) return `taint ${taint.key}:${taint.effect} not tolerated`;
  return undefined;
}

/** Requests of a pod's containers (init containers run before, so the larger of the two, as the scheduler does). */
function podRequest(pod: Pod): WorkerRequest {
  const sum = (cs: readonly { resources?: { requests?: Record<string, unknown> } }[] | undefined) =>
    (cs ?? []).reduce(
      (acc, c) => {
        const r = c.resources?.requests ?? {};
        acc.cpu += parseQuantity(r.cpu) ?? 0;
        acc.memory += parseQuantity(r.memory) ?? 0;
        acc.gpu += parseQuantity(r[GPU]) ?? 0;
        return acc;
      },
      { cpu: 0, memory: 0, gpu: 0 },
    );
  const main = sum(pod.spec?.containers);
  const init = sum(pod.spec?.initContainers);
  return {
    cpu: Math.max(main.cpu, init.cpu),
    memory: Math.max(main.memory, init.memory),
    gpu: Math.max(main.gpu, init.gpu),
  };
}

const finished = (pod: Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** Room for `want`-sized workers on each eligible node; `count` workers fit when the room adds up to it. */
export function gangFit(
  nodes: readonly Node[],
  pods: readonly Pod[],
  want: WorkerRequest,
  count: number,
  selector: Readonly<Record<string, string>> = {},
  tolerations: readonly Wire<V1Toleration>[] = [],
): GangFit {
  const used = new Map<string, WorkerRequest>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || finished(pod)) continue;
    const r = podRequest(pod);
    const u = used.get(node) ?? { cpu: 0, memory: 0, gpu: 0 };
    used.set(node, { cpu: u.cpu + r.cpu, memory: u.memory + r.memory, gpu: u.gpu + r.gpu });
  }
  let room = 0;
  const lines: string[] = [];
  for (const node of [...nodes].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))) {
    const name = node.metadata?.name ?? "";
    const why = excluded(node, selector, tolerations);
    if (why) {
      lines.push(`${name}: ${why}`);
      continue;
    }
    const alloc = node.status?.allocatable ?? {};
    const u = used.get(name) ?? { cpu: 0, memory: 0, gpu: 0 };
    const free = {
      cpu: (parseQuantity(alloc.cpu) ?? 0) - u.cpu,
      memory: (parseQuantity(alloc.memory) ?? 0) - u.memory,
      gpu: (parseQuantity(alloc[GPU]) ?? 0) - u.gpu,
    };
    // A tiny epsilon: "1.5" cores minus three "500m" requests is not quite 0 in floating point.
    const per = (have: number, need: number) => (need > 0 ? Math.floor(have / need + 1e-9) : Number.POSITIVE_INFINITY);
    const n = Math.max(0, Math.min(per(free.cpu, want.cpu), per(free.memory, want.memory), per(free.gpu, want.gpu)));
    const capped = Number.isFinite(n) ? n : count;
    room += capped;
    lines.push(`${name}: room for ${capped}`);
  }
  return { fits: room >= count, room: Math.min(room, count + 1), nodes: lines };
}
