/**
 * Prometheus metrics (prom-client), one registry per server so tests and
 * benchmarks can run several in one process. Names follow Prometheus
 * conventions (base units, _total, _seconds); labelled children are cached
 * because label lookup is a measurable share of a tiny model's request.
 */
import client from "prom-client";
import type { BackendInfo } from "./backends.js";

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** grpc-v2: inference.GRPCInferenceService; grpc-tfs: TF Serving's PredictionService. */
export type Protocol = "v1" | "v2" | "grpc-v2" | "grpc-tfs";

export class RuntimeMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<"model" | "protocol" | "code">;
  private readonly duration: client.Histogram<"model" | "protocol" | "code">;
  private readonly queue: client.Histogram<"model">;
  private readonly compute: client.Histogram<"model">;
  private readonly batchSize: client.Histogram<"model">;
  private readonly inferences: client.Counter<"model">;
  private readonly executions: client.Counter<"model">;
  private readonly loadSeconds: client.Gauge<"model" | "phase">;
  private readonly ready: client.Gauge<"model">;
  private readonly inFlightGauge: client.Gauge<"model">;
  private readonly backend: client.Gauge<"backend" | "tfjs_version" | "libtensorflow_version">;
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly histograms = new Map<string, { observe(v: number): void }>();

  constructor(private readonly model: string) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    // What the operator's concurrency autoscaling targets (HPA Pods metric, through a custom-metrics adapter).
    this.inFlightGauge = new client.Gauge({
      name: "liftoff_inference_requests_in_flight",
      help: "Inference requests accepted and not yet answered.",
      labelNames: ["model"],
      registers,
    });
    this.requests = new client.Counter({
      name: "liftoff_inference_requests_total",
      help: "Inference requests by model, protocol and HTTP status code.",
      labelNames: ["model", "protocol", "code"],
      registers,
    });
    this.duration = new client.Histogram({
      name: "liftoff_inference_request_duration_seconds",
      help: "Inference request duration from receipt to reply, by model, protocol and HTTP status code.",
      labelNames: ["model", "protocol", "code"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queue = new client.Histogram({
      name: "liftoff_inference_queue_duration_seconds",
      help: "Time a request waited for its batch to start.",
      labelNames: ["model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.compute = new client.Histogram({
      name: "liftoff_inference_compute_duration_seconds",
      help: "Model call duration, one observation per batch.",
      labelNames: ["model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new client.Histogram({
      name: "liftoff_inference_batch_size",
      help: "Rows per model call.",
      labelNames: ["model"],
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.inferences = new client.Counter({
      name: "liftoff_inference_count_total",
      help: "Rows inferred (one request may carry many).",
      labelNames: ["model"],
      registers,
    });
    this.executions = new client.Counter({
      name: "liftoff_inference_exec_count_total",
      help: "Model calls (batches) executed.",
      labelNames: ["model"],
      registers,
    });
    this.loadSeconds = new client.Gauge({
      name: "liftoff_model_load_seconds",
      help: "Time to make the model ready, by phase (fetch: read and verify the artifact; probe: time the model on each backend, --backend auto only; build: deserialize and first inference).",
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

  private counter(key: string, make: () => { inc(): void }) {
    let c = this.counters.get(key);
    if (c === undefined) {
      c = make();
      this.counters.set(key, c);
    }
    return c;
  }

  private histogram(key: string, make: () => { observe(v: number): void }) {
    let h = this.histograms.get(key);
    if (h === undefined) {
      h = make();
      this.histograms.set(key, h);
    }
    return h;
  }

  request(protocol: Protocol, code: number, seconds: number): void {
    const labels = { model: this.model, protocol, code: String(code) };
    this.counter(`${protocol}:${code}`, () => this.requests.labels(labels)).inc();
    this.histogram(`d:${protocol}:${code}`, () => this.duration.labels(labels)).observe(seconds);
  }

  inFlight(delta: number): void {
    this.inFlightGauge.inc({ model: this.model }, delta);
  }

  queued(seconds: number): void {
    this.histogram("q", () => this.queue.labels({ model: this.model })).observe(seconds);
  }

  batch(rows: number, computeSeconds: number): void {
    this.histogram("b", () => this.batchSize.labels({ model: this.model })).observe(rows);
    this.histogram("c", () => this.compute.labels({ model: this.model })).observe(computeSeconds);
    this.inferences.inc({ model: this.model }, rows);
    this.executions.inc({ model: this.model });
  }

  loaded(phase: "fetch" | "probe" | "build", seconds: number): void {
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
