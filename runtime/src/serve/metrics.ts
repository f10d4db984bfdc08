/**
 * Prometheus metrics (prom-client), one registry per server so tests and
 * benchmarks can run several in one process. Names follow Prometheus
 * conventions (base units, _total, _seconds). What every request updates is
 * kept in plain numbers (HotHistogram series, counters read by prom-client's
 * collect() at scrape time): prom-client's per-call label validation and
 * hashing cost more than a tiny model's inference.
 */
import client from "prom-client";
import type { BackendInfo } from "../backends.js";
import { type HistogramSeries, HotHistogram } from "./hot-histogram.js";
import type { ServingWindow } from "./monitoring/serving.js";

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * grpc-v2: inference.GRPCInferenceService; grpc-tfs: TF Serving's PredictionService; openai: a gguf model's chat,
 * completion and embedding routes. Every one is counted, so rate(duration_sum) is the pod's mean concurrency.
 */
export type Protocol = "v1" | "v2" | "grpc-v2" | "grpc-tfs" | "openai";

/** A count of events and their summed duration. */
export interface Tally {
  count: number;
  seconds: number;
}

export interface InferenceTotals {
  /** Rows inferred. */
  rows: number;
  /** Model calls (batches). */
  calls: number;
  /** When the last batch finished (ms since the epoch), 0 before any. */
  lastInferenceMs: number;
  /** Inference requests answered with success / an error, with their durations from receipt to reply. */
  success: Tally;
  fail: Tally;
  queue: Tally;
  compute: Tally;
}

/** The series one protocol and status code update per request. */
interface RequestSeries {
  count: number;
  labels: { model: string; protocol: Protocol; code: string };
  duration: HistogramSeries;
}

export class RuntimeMetrics {
  readonly registry = new client.Registry();
  private readonly loadSeconds: client.Gauge<"model" | "phase">;
  private readonly ready: client.Gauge<"model">;
  private readonly backend: client.Gauge<"backend" | "tfjs_version" | "libtensorflow_version">;
  private readonly bySeries = new Map<Protocol, Map<number, RequestSeries>>();
  private readonly duration: HotHistogram<"model" | "protocol" | "code">;
  private readonly queue: HistogramSeries;
  private readonly compute: HistogramSeries;
  private readonly batchSize: HistogramSeries;
  private inFlightNow = 0;
  private rows = 0;
  private calls = 0;
  private lastBatchMs = 0;
  /** The monitoring window's serving counts (monitoring/serving.ts), once the monitor exists. */
  private window: ServingWindow | undefined;

  constructor(private readonly model: string) {
    const registers = [this.registry];
    const labels = { model };
    client.collectDefaultMetrics({ register: this.registry });
    const self = this;
    // What the operator's concurrency autoscaling targets (HPA Pods metric, through a custom-metrics adapter).
    new client.Gauge({
      name: "liftoff_inference_requests_in_flight",
      help: "Inference requests accepted and not yet answered.",
      labelNames: ["model"],
      registers,
      collect() {
        this.set(labels, self.inFlightNow);
      },
    });
    new client.Counter({
      name: "liftoff_inference_requests_total",
      help: "Inference requests by model, protocol and HTTP status code.",
      labelNames: ["model", "protocol", "code"],
      registers,
      collect() {
        this.reset();
        for (const codes of self.bySeries.values()) for (const r of codes.values()) this.inc(r.labels, r.count);
      },
    });
    this.duration = new HotHistogram({
      name: "liftoff_inference_request_duration_seconds",
      help: "Inference request duration from receipt to reply, by model, protocol and HTTP status code.",
      labelNames: ["model", "protocol", "code"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const hot = (name: string, help: string, buckets: number[]) =>
      new HotHistogram({ name, help, labelNames: ["model"], buckets, registers }).series(labels);
    this.queue = hot(
      "liftoff_inference_queue_duration_seconds",
      "Time a request waited for its batch to start.",
      LATENCY_BUCKETS,
    );
    this.compute = hot(
      "liftoff_inference_compute_duration_seconds",
      "Model call duration, one observation per batch.",
      LATENCY_BUCKETS,
    );
    this.batchSize = hot("liftoff_inference_batch_size", "Rows per model call.", BATCH_BUCKETS);
    new client.Counter({
      name: "liftoff_inference_count_total",
      help: "Rows inferred (one request may carry many).",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        this.inc(labels, self.rows);
      },
    });
    new client.Counter({
      name: "liftoff_inference_exec_count_total",
      help: "Model calls (batches) executed.",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        this.inc(labels, self.calls);
      },
    });
    this.loadSeconds = new client.Gauge({
      name: "liftoff_model_load_seconds",
      help: "Time to make the model ready, by phase (download: from object storage into the node cache, 0 on a cache hit; fetch: read and verify the artifact; probe: time the model on each backend, --backend auto only; build: deserialize and first inference).",
      labelNames: ["model", "phase"],
      registers,
    });
    this.ready = new client.Gauge({
      name: "liftoff_model_ready",
      help: "1 while the model serves traffic.",
      labelNames: ["model"],
      registers,
    });
    this.backend = new client.Gauge({
      name: "liftoff_runtime_backend_info",
      help: "TensorFlow.js backend in use (value is always 1).",
      labelNames: ["backend", "tfjs_version", "libtensorflow_version"],
      registers,
    });
    this.ready.set({ model }, 0);
  }

  request(protocol: Protocol, code: number, seconds: number): void {
    let codes = this.bySeries.get(protocol);
    if (codes === undefined) {
      codes = new Map();
      this.bySeries.set(protocol, codes);
    }
    let r = codes.get(code);
    if (r === undefined) {
      const labels = { model: this.model, protocol, code: String(code) };
      r = { count: 0, labels, duration: this.duration.series(labels) };
      codes.set(code, r);
    }
    r.count++;
    r.duration.observe(seconds);
    this.window?.record(code, seconds);
  }

  /** From now on every request is also counted in the monitoring snapshot's serving window. */
  countServingIn(window: ServingWindow): void {
    this.window = window;
  }

  inFlight(delta: number): void {
    this.inFlightNow += delta;
  }

  queued(seconds: number): void {
    this.queue.observe(seconds);
  }

  batch(rows: number, computeSeconds: number): void {
    this.batchSize.observe(rows);
    this.compute.observe(computeSeconds);
    this.rows += rows;
    this.calls++;
    this.lastBatchMs = Date.now();
  }

  /** Totals since start for V2 model statistics (v2-model-config.ts): the same numbers /metrics gives. */
  totals(): InferenceTotals {
    const success = { count: 0, seconds: 0 };
    const fail = { count: 0, seconds: 0 };
    for (const codes of this.bySeries.values()) {
      for (const [code, r] of codes) {
        const into = code < 400 ? success : fail;
        into.count += r.count;
        into.seconds += r.duration.sum;
      }
    }
    return {
      rows: this.rows,
      calls: this.calls,
      lastInferenceMs: this.lastBatchMs,
      success,
      fail,
      queue: { count: this.queue.count, seconds: this.queue.sum },
      compute: { count: this.compute.count, seconds: this.compute.sum },
    };
  }

  loaded(phase: "download" | "fetch" | "probe" | "build", seconds: number): void {
    this.loadSeconds.set({ model: this.model, phase }, seconds);
  }

  setReady(ready: boolean): void {
    this.ready.set({ model: this.model }, ready ? 1 : 0);
  }

  setBackend(info: BackendInfo): void {
    this.backend.set(
      { backend: info.name, tfjs_version: info.tfjsVersion, libtensorflow_version: info.libVersion ?? "" },
      1,
    );
  }
}
