// What the autoscaling test and bench:autoscale share: the penguins-shaped model on a claim (raw records in, the
// preprocessing a TrainingJob writes; the same model bench:capture serves), the request they send, a ModelDeployment
// spec that any node can run, and a watcher that records the scaling timeline (desired and ready replicas, pods
// created and Ready, their nodes) from the API every `intervalMs`.
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { podHostAddress } from "../../devcluster/cluster/report-flags.js";
import { clusterPrometheusUrl } from "../../devcluster/metrics/prometheus.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { mlp, saveLayersModel } from "../../runtime/src/serve/test-helpers.js";
import { getModelDeployment } from "./operator.js";
import { penguinsPreprocessing } from "./penguins-preprocessing.js";

/** Writes the penguins model to `<claim>/<dir>/` and returns its model.uri. */
export async function penguinsOnClaim(kc: KubeConfig, namespace: string, dir = "penguins", claim = "models") {
  const folder = join(await claimHostFolder(kc, namespace, claim), dir);
  await mkdir(folder, { recursive: true });
  await saveLayersModel(mlp(4, 8, 3, 1), folder);
  await writeFile(join(folder, "preprocessing.json"), JSON.stringify(penguinsPreprocessing()));
  return `pvc://${claim}/${dir}/model.json`;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ port: 0, host }, () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Flags of an operator on the host for autoscaling: the activator listens on the address pods and the host reach it
 * on (the pod bridge's gateway) and advertises it in scale-to-zero Services' Endpoints; KEDA's triggers read the
 * cluster's Prometheus; KEDA polls each second, so activation and idleness show quickly.
 */
export async function autoscalingFlags(clusterName: string): Promise<string[]> {
  const host = await podHostAddress(clusterName);
  const port = await freePort(host);
  return [
    `--activator-bind-address=${host}:${port}`,
    `--activator-advertise=${host}:${port}`,
    `--prometheus-url=${clusterPrometheusUrl(clusterName)}`,
    "--keda-polling-seconds=1",
  ];
}

/** One raw penguin record, V1 :predict. */
export const PENGUIN_BODY = JSON.stringify({ instances: [{ island: "Dream", bill_length_mm: 46.5 }] });
export const predictPath = (name: string) => `/v1/models/${name}:predict`;

/**
 * The parts of a ModelDeployment spec every autoscaling run shares. The pods tolerate the GPU node's taint (they
 * need no GPU), so the scheduler can spread them over both nodes. Batching waits up to `batchWaitMs` for a fuller
 * batch: each request then takes about that long, so the in-flight count (rate × time per request, Little's law)
 * grows with the request rate at rates this two-core machine can generate, as a heavier model's would.
 */
export function servingSpec(uri: string, batchWaitMs = 20): Record<string, unknown> {
  return {
    model: { uri },
    resources: { cpu: "250m", memory: "512Mi" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
    batching: { maxBatchSize: 64, maxLatencyMs: batchWaitMs },
  };
}

export interface PodSeen {
  name: string;
  node?: string;
  /** ms since the watcher's start. */
  createdAt: number;
  readyAt?: number;
  goneAt?: number;
}

export interface ScalePoint {
  /** ms since the watcher's start. */
  t: number;
  /** The Deployment's spec.replicas (what the HPA asked for). */
  desired: number;
  ready: number;
  /** ModelDeployment status.autoscaling.summary, when there is one. */
  summary?: string;
}

const podReady = (p: V1Pod) => (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/**
 * Polls the Deployment `<name>-predictor`, its pods (or both tracks' with allTracks) and the ModelDeployment, keeping
 * every change; a pod counts as gone once it is terminating (it takes no new requests). Times are the
 * watcher's own clock (performance.now() − start), so they line up with a load report's started by the same process.
 */
export class ScaleWatcher {
  readonly points: ScalePoint[] = [];
  readonly pods = new Map<string, PodSeen>();
  private readonly origin: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly opts: { intervalMs?: number; allTracks?: boolean } = {},
  ) {
    this.origin = performance.now();
    void this.tick();
  }

  now(): number {
    return performance.now() - this.origin;
  }

  last(): ScalePoint | undefined {
    return this.points.at(-1);
  }

  /** First time at or after `from` that `test` held for a recorded point. */
  firstAfter(from: number, test: (p: ScalePoint) => boolean): number | undefined {
    return this.points.find((p) => p.t >= from && test(p))?.t;
  }

  /** Pod-seconds of serving pods (created → gone, or now) between `from` and `to`. */
  podSeconds(from: number, to: number): number {
    let ms = 0;
    for (const p of this.pods.values()) {
      const a = Math.max(from, p.createdAt);
      const b = Math.min(to, p.goneAt ?? to);
      if (b > a) ms += b - a;
    }
    return ms / 1000;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      await this.sample();
    } catch {
      // A failed read is one missing sample; the next tick tries again.
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.intervalMs ?? 250);
  }

  private async sample(): Promise<void> {
    const t = this.now();
    const [dep, pods, mdep] = await Promise.all([
      this.kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: `${this.name}-predictor`, namespace: this.namespace })
        .catch(() => undefined),
      this.kc.makeApiClient(CoreV1Api).listNamespacedPod({
        namespace: this.namespace,
        labelSelector: `liftoff.dev/modeldeployment=${this.name}${this.opts.allTracks ? "" : ",liftoff.dev/track=stable"}`,
      }),
      getModelDeployment(this.kc, this.namespace, this.name).catch(() => undefined),
    ]);
    const seen = new Set<string>();
    for (const p of pods.items) {
      const name = p.metadata?.name ?? "";
      if (p.metadata?.deletionTimestamp) continue;
      seen.add(name);
      let rec = this.pods.get(name);
      if (!rec) {
        rec = { name, createdAt: t };
        this.pods.set(name, rec);
      }
      if (p.spec?.nodeName) rec.node = p.spec.nodeName;
      if (rec.readyAt === undefined && podReady(p)) rec.readyAt = t;
    }
    for (const rec of this.pods.values()) if (rec.goneAt === undefined && !seen.has(rec.name)) rec.goneAt = t;
    const point: ScalePoint = {
      t,
      desired: dep?.spec?.replicas ?? 0,
      ready: dep?.status?.readyReplicas ?? 0,
      ...(mdep?.status?.autoscaling?.summary ? { summary: String(mdep.status.autoscaling.summary) } : {}),
    };
    const prev = this.last();
    if (!prev || prev.desired !== point.desired || prev.ready !== point.ready || prev.summary !== point.summary) {
      this.points.push(point);
    }
  }
}
