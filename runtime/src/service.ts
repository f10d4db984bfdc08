/**
 * The one served model and its lifecycle: load (fetch, verify, build, warm up)
 * → ready → draining. Routes ask it for readiness and hand it validated requests.
 */
import { performance } from "node:perf_hooks";
import { fetchArtifact, type ModelLocation } from "./artifact.js";
import type { BackendInfo } from "./backends.js";
import { Batcher, type BatchResult } from "./batcher.js";
import { errors } from "./errors.js";
import type { RuntimeMetrics } from "./metrics.js";
import { type LoadedModel, loadModel, warmupInputs } from "./model.js";
import type { Limits, Prepared } from "./validate.js";

export interface ServiceOptions {
  name: string;
  version: string;
  backend: BackendInfo;
  metrics: RuntimeMetrics;
  limits: Limits;
  maxBatchSize: number;
  maxLatencyMs: number;
}

export interface LoadReport {
  digest: string;
  bytes: number;
  fetchSeconds: number;
  buildSeconds: number;
  warmupSeconds: number;
}

export class ModelService {
  private loaded: { model: LoadedModel; batcher: Batcher } | undefined;
  private draining = false;
  digest: string | undefined;

  constructor(readonly opts: ServiceOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get version(): string {
    return this.opts.version;
  }

  get ready(): boolean {
    return this.loaded !== undefined && !this.draining;
  }

  /** The model, once loaded; metadata routes answer 503 before that. */
  get model(): LoadedModel | undefined {
    return this.loaded?.model;
  }

  /** Requests waiting for a batch to start. */
  get queued(): number {
    return this.loaded?.batcher.queued ?? 0;
  }

  get batching(): boolean {
    return this.loaded?.batcher.batching ?? false;
  }

  async load(location: ModelLocation, expectedDigest: string | undefined): Promise<LoadReport> {
    const t0 = performance.now();
    const artifact = await fetchArtifact(location, expectedDigest);
    const t1 = performance.now();
    const model = await loadModel(artifact);
    const t2 = performance.now();
    await model.run(warmupInputs(model.signature));
    const t3 = performance.now();
    this.digest = artifact.digest;
    this.attach(model);
    const report = {
      digest: artifact.digest,
      bytes: artifact.bytes,
      fetchSeconds: (t1 - t0) / 1000,
      buildSeconds: (t2 - t1) / 1000,
      warmupSeconds: (t3 - t2) / 1000,
    };
    this.opts.metrics.loaded("fetch", report.fetchSeconds);
    this.opts.metrics.loaded("build", report.buildSeconds);
    this.opts.metrics.loaded("warmup", report.warmupSeconds);
    return report;
  }

  /** Serves an already built model (load() and tests). */
  attach(model: LoadedModel): void {
    // A model with a fixed batch dimension cannot take concatenated requests.
    const maxBatchSize = model.signature.batched ? this.opts.maxBatchSize : 1;
    const batcher = new Batcher({
      maxBatchSize,
      maxLatencyMs: this.opts.maxLatencyMs,
      run: (inputs) => model.run(inputs),
      onBatch: (rows, seconds) => this.opts.metrics.batch(rows, seconds),
    });
    this.loaded = { model, batcher };
    this.opts.metrics.setReady(this.ready);
  }

  /** Runs a validated request through the batcher. */
  async infer(req: Prepared): Promise<BatchResult> {
    if (this.loaded === undefined) throw errors.notReady(this.name);
    const result = await this.loaded.batcher.submit(req);
    this.opts.metrics.queued(result.queueSeconds);
    return result;
  }

  /** Readiness turns false; requests already accepted still complete. */
  startDraining(): void {
    this.draining = true;
    this.opts.metrics.setReady(false);
  }

  async drain(): Promise<void> {
    await this.loaded?.batcher.drain();
  }
}
