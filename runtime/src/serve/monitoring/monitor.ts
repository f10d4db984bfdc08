/**
 * What the serve path calls after each inference: drift counts, the prediction's id for feedback, and the JSON
 * snapshot the operator reads. Built once the model is loaded (the task follows from the baseline and the output).
 */
import client from "prom-client";
import type { OutputTensor, Signature } from "../model/loaded-model.js";
import type { Prepared } from "../validate.js";
import type { Baseline } from "./baseline.js";
import { DriftMonitor, type DriftSnapshot, predictedValues } from "./drift.js";
import { PredictionStore } from "./predictions.js";
import { QualityMonitor, type Task } from "./quality.js";
import { type ServingSnapshot, ServingWindow } from "./serving.js";

export interface MonitorOptions {
  model: string;
  windowSeconds: number;
  /** Sub-windows of the sliding window (memory = slots × bins). */
  slots: number;
  feedback: boolean;
  predictionTtlSeconds: number;
  predictionStoreRows: number;
  /** This replica's address ("ip:port") when it has one others can reach, for feedback forwarding. */
  advertise: string | undefined;
  now?: () => number;
}

export type BaselineState = { baseline: Baseline } | { error: string } | undefined;

/** The task: the baseline's target says classification (its classes) or regression; else the output width does. */
function taskOf(baseline: Baseline | undefined, sig: Signature): Task {
  const pred = baseline?.prediction;
  if (pred?.kind === "categorical")
    return { kind: "classification", classes: pred.labels.filter((l) => l !== "__other__") };
  if (pred?.kind === "numeric") return { kind: "regression" };
  const width = sig.outputs[0]?.shape.at(-1) ?? 1;
  return width > 1
    ? { kind: "classification", classes: Array.from({ length: width }, (_, i) => String(i)) }
    : { kind: "regression" };
}

function ownerToken(advertise: string | undefined): string {
  return advertise === undefined ? "self" : Buffer.from(advertise).toString("base64url");
}

export class Monitor {
  readonly drift: DriftMonitor | undefined;
  readonly quality: QualityMonitor | undefined;
  readonly store: PredictionStore | undefined;
  /** Requests, 5xx and latency over the window (RuntimeMetrics.request feeds it: see ModelHost). */
  readonly serving: ServingWindow;
  /** liftoff_feedback_unknown_total: feedback for an unknown or expired prediction id (feedback.ts). */
  readonly feedbackUnknown: client.Counter.Internal | undefined;
  readonly task: Task;
  readonly owner: string;

  constructor(
    private readonly opts: MonitorOptions,
    readonly baselineState: BaselineState,
    readonly signature: Signature,
    registry: client.Registry,
  ) {
    const baseline = baselineState && "baseline" in baselineState ? baselineState.baseline : undefined;
    const win = { windowSeconds: opts.windowSeconds, slots: opts.slots, ...(opts.now ? { now: opts.now } : {}) };
    this.task = taskOf(baseline, signature);
    this.owner = ownerToken(opts.advertise);
    this.serving = new ServingWindow(win);
    if (baseline) this.drift = new DriftMonitor(baseline, registry, opts.model, win);
    if (opts.feedback) {
      this.quality = new QualityMonitor(this.task, registry, opts.model, win);
      this.feedbackUnknown = new client.Counter({
        name: "liftoff_feedback_unknown_total",
        help: "Feedback refused because its prediction id is unknown here (expired, never made, or another caller's)",
        labelNames: ["model"],
        registers: [registry],
      }).labels({ model: opts.model });
      this.feedbackUnknown.inc(0);
      this.store = new PredictionStore({
        maxRows: opts.predictionStoreRows,
        ttlSeconds: opts.predictionTtlSeconds,
        owner: this.owner,
        ...(opts.now ? { now: opts.now } : {}),
      });
    }
  }

  /** This pod's address for forwarded feedback (MonitorOptions.advertise). */
  get advertise(): string | undefined {
    return this.opts.advertise;
  }

  /**
   * Counts one answered request; returns its prediction id when feedback is on. Raw records are binned by column
   * name (the baseline's own columns); without them the input tensor's columns are.
   */
  observe(
    prepared: Prepared,
    outputs: readonly OutputTensor[],
    records?: readonly Record<string, unknown>[],
    /** Who asked (auth.ts callerOf): only they may give this prediction's feedback. */
    caller = "",
  ): string | undefined {
    if (records) this.drift?.observeRecords(records);
    else this.drift?.observeTensors(this.signature, prepared);
    if (this.drift === undefined && this.store === undefined) return undefined;
    const first = outputs[0];
    if (first === undefined) return undefined;
    const predicted = predictedValues(first, prepared.rows, this.task.kind === "classification");
    this.drift?.observePredictions(predicted);
    return this.store?.put(predicted, caller);
  }

  snapshot(): MonitoringSnapshot {
    const s = this.baselineState;
    return {
      model: this.opts.model,
      windowSeconds: this.opts.windowSeconds,
      baseline:
        s === undefined
          ? { configured: false }
          : "error" in s
            ? { configured: true, error: s.error }
            : { configured: true },
      ...(this.drift ? { drift: this.drift.snapshot() } : {}),
      ...(this.quality ? { quality: this.quality.snapshot() } : {}),
      serving: this.serving.snapshot(),
      ...(this.store
        ? {
            predictions: {
              ids: this.store.size,
              rows: this.store.storedRows,
              maxRows: this.opts.predictionStoreRows,
              ttlSeconds: this.opts.predictionTtlSeconds,
            },
          }
        : {}),
    };
  }
}

/** GET /monitoring: what the operator merges across replicas. */
export interface MonitoringSnapshot {
  model: string;
  windowSeconds: number;
  baseline: { configured: boolean; error?: string };
  drift?: DriftSnapshot;
  quality?: ReturnType<QualityMonitor["snapshot"]>;
  predictions?: { ids: number; rows: number; maxRows: number; ttlSeconds: number };
  /** Inference requests, 5xx and latency over the window: what a canary is judged on beside its accuracy. */
  serving: ServingSnapshot;
}
