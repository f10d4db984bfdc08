// The serving pods' monitoring snapshots, pushed to the report endpoint (POST /v1/monitoring, authenticated as the
// pod, owner chain checked by uid: report/serving-owner.ts). Keeps the latest one per pod and, every monitoring
// period, merges those of each ModelDeployment's ready stable pods (scores.ts); when the result differs from the last
// one, it keeps it and enqueues the ModelDeployment: its reconcile turns it into status (status.ts), so status is
// still written by the reconciler alone and only when it changed. Canary pods push too: their snapshots are merged
// apart, per track, into the figures the canary is judged on (loop/figures.ts, getTrack); they never reach the stable
// observation. Only the leader keeps snapshots (its reconciler reads them): another replica answers 503 and the pod
// retries.
import type { Logger } from "pino";
import type { Gauge } from "prom-client";
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import { isConditionTrue } from "../../controller/conditions.js";
import type { KubeObject } from "../../kube/types.js";
import { keyOf } from "../../kube/types.js";
import { ConditionType } from "../../reasons.js";
import { ReportRejected } from "../../report/identity.js";
import type { ServingPod } from "../../report/serving-owner.js";
import { stableStringify } from "../../util/stable-json.js";
import { type TrackFigures, trackFigures } from "../loop/figures.js";
import { childNames, LABEL_MDEP, LABEL_TRACK, type Track } from "../names.js";
import { mergeSnapshots } from "./scores.js";
import { type PodSnapshot, parseSnapshot } from "./snapshot.js";
import type { Observation } from "./status.js";

/** A snapshot older than this many periods is dropped: its pod stopped pushing. */
const STALE_PERIODS = 3;

export interface SnapshotStoreOptions {
  periodSeconds: number;
  modelDeployments: () => KubeObject[];
  pods: () => KubeObject[];
  /** Called with the key of a ModelDeployment whose observation changed. */
  changed: (key: string) => void;
  /** False when the operator has no report endpoint (--report-url): pods have nowhere to push. */
  reporting: boolean;
  log: Logger;
  /** Milliseconds clock (tests move it). */
  now?: () => number;
  /** liftoff_modeldeployment_track_accuracy, set from each track's figures (operator/src/metrics.ts). */
  trackAccuracy?: Gauge<"namespace" | "name" | "track">;
}

function wantsMonitoring(m: ModelDeployment): boolean {
  return Boolean(m.spec?.monitoring?.drift || m.spec?.monitoring?.feedback);
}

/**
 * Whose pods push: monitored ones, ONNX models on a GPU (whether they fell back to the CPU), and language models
 * (their tokens/s).
 */
function wantsPushes(m: ModelDeployment): boolean {
  const format = m.spec?.model?.format;
  return wantsMonitoring(m) || ((m.spec?.resources?.gpu ?? 0) > 0 && format === "onnx") || format === "gguf";
}

/** Rounded to 0.1 token/s, so noise below that neither enqueues the ModelDeployment nor writes its status. */
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Tokens/s of the pods that pushed an `llm` section: each pod's tokens over the seconds they cover, summed. */
function llmThroughput(snaps: readonly PodSnapshot[]): Observation["llm"] {
  const windows = snaps.flatMap((s) => (s.llm ? [s.llm] : []));
  if (windows.length === 0) return undefined;
  // A pod younger than a second would turn a handful of tokens into a burst rate.
  const rate = (tokens: number, seconds: number) => tokens / Math.max(1, seconds);
  return {
    tokensPerSecond: r1(windows.reduce((n, w) => n + rate(w.generationTokens, w.seconds), 0)),
    promptTokensPerSecond: r1(windows.reduce((n, w) => n + rate(w.promptTokens, w.seconds), 0)),
    pods: windows.length,
  };
}

function ready(pod: KubeObject): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    Boolean(pod.status?.podIP) &&
    isConditionTrue(pod.status?.conditions as { type: string; status: string }[] | undefined, ConditionType.Ready)
  );
}

/** Ready pods of one track (the canary serves another model: its counts never merge into the stable's). */
function servingPods(pods: readonly KubeObject[], mdep: KubeObject, track: Track): KubeObject[] {
  return pods.filter(
    (p) =>
      p.metadata?.namespace === mdep.metadata?.namespace &&
      p.metadata?.labels?.[LABEL_MDEP] === mdep.metadata?.name &&
      p.metadata?.labels?.[LABEL_TRACK] === track &&
      ready(p),
  );
}

const TRACKS: readonly Track[] = ["stable", "canary"];
const isTrack = (t: string | undefined): t is Track => TRACKS.includes(t as Track);

/** Both tracks' figures of a ModelDeployment (canary only while it has pods that push). */
interface Tracks {
  stable?: TrackFigures;
  canary?: TrackFigures;
}

interface Pushed {
  /** The ModelDeployment's uid, from the pod's owner chain. */
  mdepUid: string;
  snapshot: PodSnapshot;
  at: number;
}

export class MonitoringSnapshots {
  /** The latest snapshot of each pod, by pod uid. */
  private readonly latest = new Map<string, Pushed>();
  private readonly results = new Map<string, { obs: Observation; json: string }>();
  private readonly tracks = new Map<string, { figures: Tracks; json: string }>();
  private timer: NodeJS.Timeout | undefined;
  private leading = false;

  constructor(private readonly o: SnapshotStoreOptions) {}

  private now(): number {
    return (this.o.now ?? performance.now.bind(performance))();
  }

  private get staleMs(): number {
    return STALE_PERIODS * this.o.periodSeconds * 1000;
  }

  /** The latest observation of a ModelDeployment, if merged: its stable track only (status.monitoring). */
  get(key: string): Observation | undefined {
    return this.results.get(key)?.obs;
  }

  /** One track's figures as of the last merge; undefined when none of its ready pods pushed lately. */
  getTrack(key: string, track: Track): TrackFigures | undefined {
    return this.tracks.get(key)?.figures[track];
  }

  /** A snapshot an authenticated serving pod pushed (the report endpoint's handler). */
  receive = (pod: ServingPod, body: unknown): void => {
    const where = `pod ${pod.namespace}/${pod.pod.name}`;
    if (!this.leading) {
      throw new ReportRejected("this operator replica is not the leader; retry (the leader merges the counts)", 503);
    }
    const labelled = pod.pod.labels[LABEL_MDEP];
    if (labelled !== pod.name) {
      throw new ReportRejected(
        `${where} is labelled for ModelDeployment ${labelled ?? "(none)"}, not ${pod.name}`,
        403,
      );
    }
    const track = pod.pod.labels[LABEL_TRACK];
    if (!isTrack(track)) {
      throw new ReportRejected(
        `${where} is on the ${track ?? "(no)"} track; only the stable and canary tracks' counts merge`,
        403,
      );
    }
    // The track decides which model the counts judge: a label can be edited on a pod, its owner chain cannot.
    const expected = childNames(pod.name).deployment(track);
    if (pod.deployment.name !== expected) {
      throw new ReportRejected(
        `${where} is labelled for the ${track} track but runs in Deployment ${pod.deployment.name}, not ${expected}`,
        403,
      );
    }
    const snapshot = parseSnapshot(body);
    if (typeof snapshot === "string") throw new ReportRejected(`bad monitoring snapshot: ${snapshot}`, 400);
    this.latest.set(pod.pod.uid, { mdepUid: pod.uid, snapshot, at: this.now() });
    // The first counts of a ModelDeployment show at once; later ones at the next period.
    const key = `${pod.namespace}/${pod.name}`;
    const current = this.results.get(key)?.obs;
    if (current === undefined || "unavailable" in current || this.tracks.get(key)?.figures[track] === undefined) {
      const mdep = this.o.modelDeployments().find((m) => keyOf(m) === key);
      if (mdep && wantsPushes(mdep as ModelDeployment)) this.update(mdep, this.o.pods());
    }
  };

  /** One period: drops snapshots of pods gone or silent, and merges every monitored ModelDeployment's. */
  tick(): void {
    const mdeps = this.o.modelDeployments().filter((m) => wantsPushes(m as ModelDeployment));
    const pods = this.o.pods();
    const keys = new Set(mdeps.map(keyOf));
    for (const k of this.results.keys()) if (!keys.has(k)) this.results.delete(k);
    for (const k of this.tracks.keys())
      if (!keys.has(k)) {
        this.tracks.delete(k);
        this.gauge(k, {});
      }
    const live = new Set(pods.map((p) => p.metadata?.uid));
    const now = this.now();
    for (const [uid, p] of this.latest) if (!live.has(uid) || now - p.at > this.staleMs) this.latest.delete(uid);
    for (const m of mdeps) this.update(m, pods);
  }

  /**
   * Merges a ModelDeployment's snapshots; enqueues it when its stable observation changed, or, while it has a
   * canary that pushes, when either track's figures did (the canary's judge reads both).
   */
  private update(mdep: KubeObject, pods: readonly KubeObject[]): void {
    const key = keyOf(mdep);
    const obs = this.observe(mdep, pods);
    const json = stableStringify(obs);
    let changed = false;
    if (this.results.get(key)?.json !== json) {
      this.results.set(key, { obs, json });
      changed = true;
    }
    const figures: Tracks = {};
    for (const t of TRACKS) {
      const f = this.o.reporting ? trackFigures(this.fresh(mdep, pods, t).map((p) => p.snapshot)) : undefined;
      if (f) figures[t] = f;
    }
    const tracksJson = stableStringify(figures);
    const before = this.tracks.get(key);
    if (before?.json !== tracksJson) {
      this.tracks.set(key, { figures, json: tracksJson });
      this.gauge(key, figures);
      if (figures.canary || before?.figures.canary) changed = true;
    }
    if (changed) this.o.changed(key);
  }

  /** Each track's live accuracy as a gauge; a track without one (no feedback, no pods) loses its series. */
  private gauge(key: string, figures: Tracks): void {
    const g = this.o.trackAccuracy;
    if (!g) return;
    const [namespace = "", name = ""] = key.split("/");
    for (const track of TRACKS) {
      const accuracy = figures[track]?.accuracy;
      if (accuracy === undefined) g.remove({ namespace, name, track });
      else g.set({ namespace, name, track }, accuracy);
    }
  }

  /** The fresh snapshots of a track's ready pods, pushed for this very ModelDeployment (by uid). */
  private fresh(
    mdep: KubeObject,
    pods: readonly KubeObject[],
    track: Track,
  ): { pod: KubeObject; snapshot: PodSnapshot }[] {
    const now = this.now();
    return servingPods(pods, mdep, track).flatMap((p) => {
      const pushed = this.latest.get(p.metadata?.uid ?? "");
      if (!pushed || pushed.mdepUid !== mdep.metadata?.uid || now - pushed.at > this.staleMs) return [];
      return [{ pod: p, snapshot: pushed.snapshot }];
    });
  }

  private observe(mdep: KubeObject, pods: readonly KubeObject[]): Observation {
    if (!this.o.reporting) {
      return {
        unavailable:
          "the operator has no report endpoint (--report-url): serving pods cannot push their drift and feedback counts",
      };
    }
    if (servingPods(pods, mdep, "stable").length === 0)
      return { unavailable: "no ready serving pod to read drift and feedback counts from" };
    let gpuFallback: Observation["gpuFallback"];
    const snaps = this.fresh(mdep, pods, "stable").map(({ pod, snapshot }) => {
      const message = snapshot.gpuFallback;
      if (message !== undefined) gpuFallback ??= { pod: pod.metadata?.name ?? "", message };
      return snapshot;
    });
    if (snaps.length === 0) {
      const s = this.o.periodSeconds;
      return {
        unavailable: `no ready serving pod pushed its drift and feedback counts in the last ${STALE_PERIODS * s} s (pods push every ${s} s to the operator's report endpoint; see their logs)`,
      };
    }
    const llm = llmThroughput(snaps);
    return { merged: mergeSnapshots(snaps), ...(gpuFallback ? { gpuFallback } : {}), ...(llm ? { llm } : {}) };
  }

  start(): void {
    this.leading = true;
    const tick = () => {
      try {
        this.tick();
      } catch (err) {
        this.o.log.error({ err }, "monitoring merge failed");
      }
      this.timer = setTimeout(tick, this.o.periodSeconds * 1000);
    };
    this.timer = setTimeout(tick, this.o.periodSeconds * 1000);
  }

  async stop(): Promise<void> {
    this.leading = false;
    if (this.timer) clearTimeout(this.timer);
    this.latest.clear();
    // A replica that no longer leads exports no per-track figures: the new leader does.
    for (const k of this.tracks.keys()) this.gauge(k, {});
    this.tracks.clear();
  }
}
