// Every monitoring period, reads GET /monitoring from each ready stable pod of every ModelDeployment that asks
// for drift or feedback, merges the counts (scores.ts) and, when the result differs from the last one, keeps it
// and enqueues the ModelDeployment: its reconcile turns it into status (status.ts), so status is still written by
// the reconciler alone and only when it changed.
import type { Logger } from "pino";
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import { isConditionTrue } from "../../controller/conditions.js";
import type { KubeObject } from "../../kube/types.js";
import { keyOf } from "../../kube/types.js";
import { ConditionType } from "../../reasons.js";
import { stableStringify } from "../../util/stable-json.js";
import { LABEL_MDEP, LABEL_TRACK, RUNTIME_PORT } from "../names.js";
import { mergeSnapshots } from "./scores.js";
import { type PodSnapshot, parseSnapshot } from "./snapshot.js";
import type { Observation } from "./status.js";

type SnapshotFetcher = (url: string) => Promise<unknown>;

export interface PollerOptions {
  periodSeconds: number;
  modelDeployments: () => KubeObject[];
  pods: () => KubeObject[];
  /** Called with the key of a ModelDeployment whose observation changed. */
  changed: (key: string) => void;
  log: Logger;
  fetch?: SnapshotFetcher;
}

const MAX_BODY = 4 * 1024 * 1024;

/**
 * GET a pod's /monitoring as JSON, reading at most maxBytes: a declared content-length over it is refused unread, and
 * a body that grows past it is cancelled there, so a pod cannot make the operator buffer an unbounded answer.
 */
export async function fetchJson(url: string, maxBytes = MAX_BODY): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: "error" });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error("answer too large");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new Error("answer too large");
      }
      chunks.push(value);
    }
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function wantsMonitoring(m: ModelDeployment): boolean {
  return Boolean(m.spec?.monitoring?.drift || m.spec?.monitoring?.feedback);
}

function ready(pod: KubeObject): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    Boolean(pod.status?.podIP) &&
    isConditionTrue(pod.status?.conditions as { type: string; status: string }[] | undefined, ConditionType.Ready)
  );
}

/** Ready pods of the stable track (the canary serves another model: its predictions are not this model's). */
function servingPods(pods: readonly KubeObject[], mdep: KubeObject): KubeObject[] {
  return pods.filter(
    (p) =>
      p.metadata?.namespace === mdep.metadata?.namespace &&
      p.metadata?.labels?.[LABEL_MDEP] === mdep.metadata?.name &&
      p.metadata?.labels?.[LABEL_TRACK] === "stable" &&
      ready(p),
  );
}

/** Reads and merges one ModelDeployment's pods. */
async function observe(pods: readonly KubeObject[], fetcher: SnapshotFetcher): Promise<Observation> {
  if (pods.length === 0) return { unavailable: "no ready serving pod to read drift and feedback counts from" };
  const results = await Promise.all(
    pods.map(async (p) => {
      const url = `http://${p.status?.podIP}:${RUNTIME_PORT}/monitoring`;
      try {
        const s = parseSnapshot(await fetcher(url));
        return typeof s === "string" ? `${p.metadata?.name}: ${s}` : s;
      } catch (err) {
        return `${p.metadata?.name}: ${(err as Error).message}`;
      }
    }),
  );
  const snaps = results.filter((r): r is PodSnapshot => typeof r !== "string");
  if (snaps.length === 0)
    return { unavailable: `no pod answered GET /monitoring (${results.filter((r) => typeof r === "string")[0]})` };
  return { merged: mergeSnapshots(snaps) };
}

export class MonitoringPoller {
  private readonly results = new Map<string, { obs: Observation; json: string }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: PollerOptions) {}

  /** The latest observation of a ModelDeployment, if polled. */
  get(key: string): Observation | undefined {
    return this.results.get(key)?.obs;
  }

  async pollOnce(): Promise<void> {
    const mdeps = this.o.modelDeployments().filter((m) => wantsMonitoring(m as ModelDeployment));
    const pods = this.o.pods();
    const keys = new Set(mdeps.map(keyOf));
    for (const k of this.results.keys()) if (!keys.has(k)) this.results.delete(k);
    await Promise.all(
      mdeps.map(async (m) => {
        const key = keyOf(m);
        const obs = await observe(servingPods(pods, m), this.o.fetch ?? fetchJson);
        const json = stableStringify(obs);
        if (this.results.get(key)?.json === json) return;
        this.results.set(key, { obs, json });
        this.o.changed(key);
      }),
    );
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pollOnce()
        .catch((err) => this.o.log.error({ err }, "monitoring poll failed"))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.periodSeconds * 1000);
        });
    };
    this.timer = setTimeout(tick, this.o.periodSeconds * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
