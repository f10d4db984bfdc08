/**
 * The one served model and its lifecycle: load (fetch, verify, build, warm up)
 * → ready → draining. Routes ask it for readiness and hand it validated requests.
 */
import { performance } from "node:perf_hooks";
import { type FetchOptions, fetchArtifact, isOnnxLocation, type ModelLocation } from "../artifact.js";
import type { BackendInfo, ProbeResult } from "../backends.js";
import type { BackendChoice, ModelFormat } from "../config.js";
import type { ModelProcessing } from "../contract/processing.js";
import { ConfigError, errors } from "../errors.js";
import type { ModelCache } from "../model-cache.js";
import { fetchToDisk } from "../model-on-disk.js";
import { type S3Location, stageS3Model } from "../model-s3.js";
import { fetchSavedModelArtifact, isSavedModelLocation } from "../savedmodel-artifact.js";
import { Batcher, type BatchResult } from "./batcher.js";
import type { CaptureWriter } from "./capture/writer.js";
import type { EmbeddingHost } from "./llm/embedding-host.js";
import type { GgufFile } from "./llm/gguf-file.js";
import type { LlmHost } from "./llm/llm-host.js";
import type { RuntimeMetrics } from "./metrics.js";
import { type LoadedModel, type OutputTensor, type Tensor, warmupInputs } from "./model/loaded-model.js";
import { checkGgufFits, checkModelFits } from "./model/memory-fit.js";
import { probeKey, recallProbe, rememberProbe } from "./model/probe-cache.js";
import { applyProcessing, sideFilePaths } from "./model/processing-files.js";
import { isProcessed } from "./model/with-processing.js";
import { type BaselineState, Monitor, type MonitorOptions } from "./monitoring/monitor.js";
import { type RawRecords, rawRecordsFor } from "./raw-records.js";
import type { Prepared } from "./validate.js";

export interface ModelHostOptions {
  name: string;
  version: string;
  metrics: RuntimeMetrics;
  maxBatchSize: number;
  maxLatencyMs: number;
  /** Most requests queued or computing at once (--max-pending-requests); undefined: no bound. */
  maxPendingRequests?: number;
  /**
   * How the artifact is read: TF.js model.json (default), ONNX (`auto`: a .onnx extension) or a SavedModel (`auto`: a
   * folder with saved_model.pb and no model.json).
   */
  format?: ModelFormat;
  /** onnxruntime intra-op threads (--onnx-threads); 0 or undefined: the CPUs the process may use. */
  onnxThreads?: number;
  /** Declared pre- and postprocessing (spec.model.preprocessing / postprocessing), wrapped around the model. */
  processing?: ModelProcessing;
  /** tf-savedmodel: the MetaGraph's tags and the SignatureDef served (defaults: serve, serving_default). */
  savedModel?: { tags: string[]; signature: string };
  /** Drift and feedback (monitoring/), set up once the model's signature is known. */
  monitoring?: { options: MonitorOptions; baseline: BaselineState };
  /** The node-local model cache (--model-cache); undefined: each start streams into a scratch copy. */
  modelCache?: ModelCache | undefined;
  /** The container's memory limit in bytes (LIFTOFF_MEMORY_LIMIT): a model that cannot fit is refused (ModelTooLarge). */
  memoryLimitBytes?: number | undefined;
  /** The pod has a GPU (--gpu): ONNX tries the CUDA execution provider first. */
  gpu?: boolean | undefined;
  /** Where a load that goes on in a lesser way says so (a model cache it cannot write). */
  warn?: (message: string) => void;
  /** Where the load says what it did (a model downloaded from object storage, or found in the node cache). */
  log?: (message: string) => void;
  /** A gguf model's llama.cpp settings (--llm-*). */
  llm?: LlmSettings;
  /**
   * Runs once the model is built and before it turns ready (a failure fails the load): --capture attaches its writer
   * here, so no request is answered uncaptured, and refuses a model without raw records.
   */
  beforeReady?: (host: ModelHost) => Promise<void>;
}

interface LlmSettings {
  contextSize: number;
  threads: number;
  gpuLayers: number;
  parallel: number;
  maxTokens: number;
  chatTemplate: string | undefined;
}

export interface LoadReport {
  digest: string;
  bytes: number;
  fetchSeconds: number;
  /** Time spent choosing a backend (auto only). */
  probeSeconds: number;
  /** Building the model and its first inference. */
  warmupSeconds: number;
  backend: BackendInfo;
  /** Present when the backend was chosen by `auto`. */
  probe: ProbeResult | undefined;
  /** ONNX, or a model from object storage: it came from the node cache, without a fetch or download. */
  cacheHit?: boolean;
  /** A model from object storage (s3://): seconds spent downloading it into the node cache (0 on a cache hit). */
  downloadSeconds?: number;
  /** ONNX with --gpu: why the session runs on the CPU instead (GPUFallback). */
  gpuFallback?: string;
}

/** Median microseconds of one call with `rows` rows (a quick probe, ≤ ~150 ms). */
async function timeModel(model: LoadedModel, rows: number): Promise<number> {
  const input = warmupInputs(model.signature, rows);
  for (let i = 0; i < 3; i++) await model.run(input);
  const times: number[] = [];
  const end = performance.now() + 150;
  while (times.length < 50 && (times.length < 5 || performance.now() < end)) {
    const t = performance.now();
    await model.run(input);
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/**
 * A request with its decoded inputs. Its batch key is computed again from them: texts of two requests tokenize to
 * different lengths, and only requests whose inputs agree beyond dimension 0 may be concatenated (validate.ts).
 */
function processed(req: Prepared, inputs: Tensor[]): Prepared {
  return { ...req, inputs, batchKey: inputs.map((t) => `${t.shape.slice(1).join("x")};`).join("") };
}

export class ModelHost {
  private loaded: { model: LoadedModel; batcher: Batcher } | undefined;
  private drainStarted = false;
  digest: string | undefined;
  /** Raw records by column name, for models whose artifact carries preprocessing.json (raw-records.ts). */
  raw: RawRecords | undefined;
  /** Drift counts and feedback, once the model is loaded (when monitoring is configured). */
  monitor: Monitor | undefined;
  /** Capture of served raw records (--capture, capture/), once the model is loaded. */
  capture: CaptureWriter | undefined;
  /** The backend the model runs on, once loaded. */
  backend: BackendInfo | undefined;
  /** Asked for the GPU (--gpu) and running on the CPU: why (pushed to the operator, which says GPUFallback). */
  gpuFallback: string | undefined;
  /** A generative (gguf) model, served on the OpenAI routes instead of the tensor ones (serve/llm/). */
  llm: LlmHost | undefined;
  /** A GGUF embedding model, served on POST /v1/embeddings (serve/llm/embedding-host.ts). */
  embedder: EmbeddingHost | undefined;

  constructor(private readonly opts: ModelHostOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get version(): string {
    return this.opts.version;
  }

  /** The runtime's metrics, which the transports count their requests in. */
  get metrics(): RuntimeMetrics {
    return this.opts.metrics;
  }

  /** --max-batch-size as configured (a model with a fixed batch dimension still takes one request at a time). */
  get maxBatchSize(): number {
    return this.opts.maxBatchSize;
  }

  /** --max-latency-ms: how long the batcher waits for a batch to fill. */
  get maxLatencyMs(): number {
    return this.opts.maxLatencyMs;
  }

  get ready(): boolean {
    return (this.loaded !== undefined || this.llm !== undefined || this.embedder !== undefined) && !this.drainStarted;
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

  async load(
    location: ModelLocation,
    expectedDigest: string | undefined,
    backendChoice: BackendChoice,
    /** How an http(s) model is fetched (the egress policy of the pod). */
    fetch: FetchOptions = {},
  ): Promise<LoadReport> {
    const format = this.opts.format ?? "auto";
    if (location.kind === "s3") return this.loadFromS3(location, expectedDigest, backendChoice, fetch);
    if (format === "gguf") return this.loadGguf(location, expectedDigest, fetch);
    if (format === "onnx" || (format === "auto" && isOnnxLocation(location))) {
      return this.loadOnnx(location, expectedDigest, fetch);
    }
    if (format === "tf-savedmodel" || (format === "auto" && (await isSavedModelLocation(location)))) {
      return this.loadSavedModel(location, expectedDigest, backendChoice);
    }
    const t0 = performance.now();
    const artifact = await fetchArtifact(location, expectedDigest, fetch);
    const t1 = performance.now();
    // Imported here so pods serving ONNX or GGUF models never load TF.js (1.5-3 s of their start: bench:coldstart).
    const { activate, probeBackends } = await import("../backends.js");
    const { loadModel } = await import("./model/load.js");
    let probe: ProbeResult | undefined;
    let backend: BackendInfo;
    if (backendChoice === "auto") {
      // The node's model cache remembers the answer for this model on this node (model/probe-cache.ts).
      const cacheDir = this.opts.modelCache?.dir;
      const key =
        cacheDir === undefined
          ? undefined
          : probeKey(artifact.digest, this.opts.maxBatchSize, (await import("../tfjs.js")).tf.version.tfjs);
      const remembered = cacheDir && key ? await recallProbe(cacheDir, key) : undefined;
      if (remembered !== undefined) {
        // A backend that no longer initialises is probed for again, below.
        const chosen = await activate(remembered.chosen).catch(() => undefined);
        if (chosen) probe = { chosen, timings: remembered.timings, skipped: remembered.skipped, remembered: true };
      }
      // Probe with the batch the model will usually see, on TF.js alone (the plain-JS
      // kernel for small Dense stacks is measured against the chosen backend below).
      probe ??= await probeBackends(async () => {
        const m = await loadModel(artifact, { plainJsRows: 0 });
        try {
          return await timeModel(m, m.signature.batched ? this.opts.maxBatchSize : 1);
        } finally {
          m.dispose();
        }
      });
      if (cacheDir && key && !probe.remembered) await rememberProbe(cacheDir, key, probe);
      backend = probe.chosen;
    } else {
      backend = await activate(backendChoice);
    }
    const t2 = performance.now();
    const loaded = await loadModel(artifact);
    await loaded.run(warmupInputs(loaded.signature));
    const model = await applyProcessing(loaded, this.opts.processing, location, fetch);
    const t3 = performance.now();
    this.digest = artifact.digest;
    this.raw = rawRecordsFor(artifact.preprocessing, model.signature);
    await this.opts.beforeReady?.(this);
    this.attach(model, backend);
    const report = {
      digest: artifact.digest,
      bytes: artifact.bytes,
      fetchSeconds: (t1 - t0) / 1000,
      probeSeconds: (t2 - t1) / 1000,
      warmupSeconds: (t3 - t2) / 1000,
      backend,
      probe,
    };
    this.opts.metrics.loaded("fetch", report.fetchSeconds);
    if (probe !== undefined) this.opts.metrics.loaded("probe", report.probeSeconds);
    this.opts.metrics.loaded("build", report.warmupSeconds);
    return report;
  }

  /**
   * A model in object storage: downloaded into the node cache (or a scratch folder) first, each object verified, then
   * loaded from there like a volume's, the format's digest checked again on the bytes loaded. The load report keeps
   * the download apart from the load (downloadSeconds; liftoff_model_load_seconds{phase="download"}).
   */
  private async loadFromS3(
    location: S3Location,
    expectedDigest: string | undefined,
    backendChoice: BackendChoice,
    fetch: FetchOptions,
  ): Promise<LoadReport> {
    const store = fetch.objectStore;
    if (store === undefined) throw new ConfigError(`no object storage is configured to read ${location.uri}`);
    const format = this.opts.format ?? "auto";
    // One object is kept under the name the format's loader and the node cache use for it.
    const fileName =
      format === "onnx" || (format === "auto" && location.key.toLowerCase().endsWith(".onnx"))
        ? "model.onnx"
        : format === "gguf"
          ? "model.gguf"
          : undefined;
    const staged = await stageS3Model(location, expectedDigest, {
      store,
      cache: this.opts.modelCache,
      ...(fileName !== undefined ? { fileName } : {}),
      beside: sideFilePaths(this.opts.processing),
      warn: (message) => this.opts.warn?.(message),
    });
    this.opts.metrics.loaded("download", staged.downloadSeconds);
    this.opts.log?.(
      staged.cacheHit
        ? `model ${location.uri} found in the node cache (sha256:${staged.digest}, ${staged.bytes} bytes): no download`
        : `model ${location.uri} downloaded in ${staged.downloadSeconds.toFixed(3)} s (${staged.bytes} bytes, sha256:${staged.digest})`,
    );
    try {
      // A single object's digest is its file's sha256, which the ONNX and GGUF loaders check (and find in the cache).
      const pinned = expectedDigest ?? (staged.singleFile && fileName !== undefined ? staged.digest : undefined);
      const report = await this.load({ kind: "file", path: staged.path }, pinned, backendChoice, fetch);
      return { ...report, cacheHit: staged.cacheHit, downloadSeconds: staged.downloadSeconds };
    } finally {
      await staged.release();
    }
  }

  /**
   * An ONNX model: streamed to disk (or found in the node cache), checked against the memory limit before and after,
   * built from that file, and warmed up before it is attached; no TF.js backend to choose (model/onnx.ts).
   */
  private async loadOnnx(location: ModelLocation, expectedDigest: string | undefined, fetch: FetchOptions) {
    const t0 = performance.now();
    const limit = this.opts.memoryLimitBytes;
    const file = await fetchToDisk(location, "model.onnx", expectedDigest, {
      ...fetch,
      cache: this.opts.modelCache,
      fits: (bytes) => checkModelFits(bytes, "onnx", limit),
      warn: (message) => this.opts.warn?.(message),
    });
    const t1 = performance.now();
    // Imported here so pods serving TF.js models never load onnxruntime's native library.
    const { executionProviders, loadOnnx, onnxBackend } = await import("./model/onnx.js");
    let gpuFallback: string | undefined;
    let model: LoadedModel;
    try {
      model = await loadOnnx(file.path, {
        threads: this.opts.onnxThreads ?? 0,
        gpu: this.opts.gpu === true,
        onFallback: (message) => {
          gpuFallback = message;
        },
      });
    } finally {
      // A scratch copy is not needed once the session holds the model; a cache entry stays for the next start.
      await file.release();
    }
    try {
      await model.run(warmupInputs(model.signature));
    } catch (err) {
      model.dispose();
      throw new ConfigError(`the ONNX model failed its warm-up inference: ${(err as Error).message.split("\n")[0]}`);
    }
    const served = await applyProcessing(model, this.opts.processing, location, fetch).catch((err: unknown) => {
      model.dispose();
      throw err;
    });
    const t2 = performance.now();
    this.digest = file.digest;
    this.gpuFallback = gpuFallback;
    const backend = onnxBackend(executionProviders(this.opts.gpu === true && gpuFallback === undefined));
    await this.opts.beforeReady?.(this);
    this.attach(served, backend);
    return this.reportLoad(file, [t0, t1, t2], backend, {
      cacheHit: file.cacheHit,
      ...(gpuFallback !== undefined ? { gpuFallback } : {}),
    });
  }

  /**
   * A SavedModel: libtensorflow runs it (model/savedmodel.ts), so the backend is `tensorflow` whatever `auto` would
   * pick; the session is built from the verified private copy, which is removed once the warm-up has run.
   */
  private async loadSavedModel(location: ModelLocation, expectedDigest: string | undefined, choice: BackendChoice) {
    if (choice !== "auto" && choice !== "tensorflow") {
      throw new ConfigError(
        `a tf-savedmodel runs on libtensorflow: --backend must be auto or tensorflow, not ${choice}`,
      );
    }
    const t0 = performance.now();
    const artifact = await fetchSavedModelArtifact(location, expectedDigest);
    const t1 = performance.now();
    let model: LoadedModel;
    let backend: BackendInfo;
    try {
      backend = await (await import("../backends.js")).activate("tensorflow");
      // Imported here so pods serving other formats never load the SavedModel code path.
      const { loadSavedModel } = await import("./model/savedmodel.js");
      model = await loadSavedModel(artifact.dir, this.opts.savedModel ?? {});
      try {
        await model.run(warmupInputs(model.signature));
      } catch (err) {
        model.dispose();
        throw new ConfigError(`the SavedModel failed its warm-up inference: ${(err as Error).message.split("\n")[0]}`);
      }
    } finally {
      await artifact.remove();
    }
    const served = await applyProcessing(model, this.opts.processing, location).catch((err: unknown) => {
      model.dispose();
      throw err;
    });
    const t2 = performance.now();
    this.digest = artifact.digest;
    await this.opts.beforeReady?.(this);
    this.attach(served, backend);
    return this.reportLoad(artifact, [t0, t1, t2], backend);
  }

  /** A GGUF model on llama.cpp (llm/): digest-checked file, context, then a one-token warm-up generation. */
  private async loadGguf(location: ModelLocation, expectedDigest: string | undefined, fetch: FetchOptions) {
    const settings = this.opts.llm;
    if (settings === undefined) throw new ConfigError("a gguf model needs the --llm-* settings");
    const t0 = performance.now();
    // Imported here so pods serving other formats never load llama.cpp's native library.
    const { fetchGguf } = await import("./llm/gguf-file.js");
    const { loadGguf } = await import("./llm/gguf.js");
    const { LlmHost } = await import("./llm/llm-host.js");
    const { LlmMetrics } = await import("./llm/llm-metrics.js");
    const limit = this.opts.memoryLimitBytes;
    // Before streaming, on the declared size alone (the file's share of the estimate); then on the metadata.
    const gpuLayers = settings.gpuLayers;
    const fits = (fileBytes: number) =>
      checkGgufFits({ fileBytes, kvBytesPerToken: 0, contextTokens: 0, layers: 0, gpuLayers }, limit);
    const file = await fetchGguf(location, expectedDigest, { ...fetch, fits });
    const t1 = performance.now();
    const { readGgufInfo } = await import("./llm/gguf-info.js");
    let embedding: boolean;
    try {
      const info = await readGgufInfo(file.path);
      embedding = info.embedding;
      checkGgufFits(
        {
          fileBytes: file.bytes,
          kvBytesPerToken: info.kvBytesPerToken,
          contextTokens: settings.contextSize * (embedding ? 1 : settings.parallel),
          layers: info.layers,
          gpuLayers,
        },
        limit,
      );
    } catch (err) {
      await file.cleanup();
      throw err;
    }
    if (embedding) return this.loadGgufEmbedding(file, settings, t0, t1);
    const gguf = await loadGguf(file.path, settings).finally(() => file.cleanup());
    const metrics = new LlmMetrics(this.opts.metrics.registry, this.name);
    const llm = new LlmHost(gguf, {
      maxTokens: settings.maxTokens,
      maxPending: this.opts.maxPendingRequests ?? Number.MAX_SAFE_INTEGER,
      metrics,
    });
    try {
      await llm.generate({
        prompt: { kind: "text", text: "Hello" },
        maxTokens: 1,
        temperature: 0,
        topP: undefined,
        seed: undefined,
        stop: [],
        jsonSchema: undefined,
      });
    } catch (err) {
      await llm.dispose();
      throw new ConfigError(`the GGUF model failed its warm-up generation: ${(err as Error).message.split("\n")[0]}`);
    }
    metrics.reset(); // the warm-up is not traffic: the series start with the first request
    const t2 = performance.now();
    this.llm = llm;
    return this.llamaLoaded(file, gguf.engine, [t0, t1, t2]);
  }

  /** A GGUF embedding model (its metadata says so, llm/gguf-info.ts): embedding context, then a warm-up embedding. */
  private async loadGgufEmbedding(file: GgufFile, settings: LlmSettings, t0: number, t1: number) {
    const { loadGgufEmbedding } = await import("./llm/gguf-embedding.js");
    const { EmbeddingHost } = await import("./llm/embedding-host.js");
    const { LlmMetrics } = await import("./llm/llm-metrics.js");
    const gguf = await loadGgufEmbedding(file.path, settings).finally(() => file.cleanup());
    const embedder = new EmbeddingHost(gguf, {
      maxPending: this.opts.maxPendingRequests ?? Number.MAX_SAFE_INTEGER,
      metrics: new LlmMetrics(this.opts.metrics.registry, this.name),
    });
    try {
      await embedder.embed(["Hello"]);
    } catch (err) {
      await embedder.dispose();
      throw new ConfigError(`the GGUF model failed its warm-up embedding: ${(err as Error).message.split("\n")[0]}`);
    }
    const t2 = performance.now();
    this.embedder = embedder;
    return this.llamaLoaded(file, gguf.engine, [t0, t1, t2]);
  }

  /** A GGUF model (generative or embedding) is serving: its digest, llama.cpp as the backend, the load report. */
  private llamaLoaded(file: GgufFile, engine: { release: string; gpu: string }, times: [number, number, number]) {
    this.digest = file.digest;
    const backend: BackendInfo = {
      name: "llama.cpp",
      tfjsBackend: "",
      tfjsVersion: "",
      libVersion: `${engine.release} (${engine.gpu})`,
    };
    this.backend = backend;
    this.opts.metrics.setBackend(backend);
    this.opts.metrics.setReady(this.ready);
    return this.reportLoad(file, times, backend);
  }

  /** The load report of a format with no backend probe (fetch t0→t1, build and warm-up t1→t2), and its metrics. */
  private reportLoad(
    artifact: { digest: string; bytes: number },
    [t0, t1, t2]: [number, number, number],
    backend: BackendInfo,
    extra: Pick<LoadReport, "cacheHit" | "gpuFallback"> = {},
  ): LoadReport {
    const report: LoadReport = {
      digest: artifact.digest,
      bytes: artifact.bytes,
      fetchSeconds: (t1 - t0) / 1000,
      probeSeconds: 0,
      warmupSeconds: (t2 - t1) / 1000,
      backend,
      probe: undefined,
      ...extra,
    };
    this.opts.metrics.loaded("fetch", report.fetchSeconds);
    this.opts.metrics.loaded("build", report.warmupSeconds);
    return report;
  }

  /** Serves an already built model (load() and tests). */
  attach(model: LoadedModel, backend: BackendInfo): void {
    // A model with a fixed batch dimension cannot take concatenated requests.
    const maxBatchSize = model.signature.batched ? this.opts.maxBatchSize : 1;
    const batcher = new Batcher({
      maxBatchSize,
      maxLatencyMs: this.opts.maxLatencyMs,
      ...(this.opts.maxPendingRequests !== undefined ? { maxPending: this.opts.maxPendingRequests } : {}),
      // A processed model's batches are its inner model's inputs: files are decoded per request in infer().
      run: isProcessed(model) ? (inputs) => model.inner.run(inputs) : (inputs) => model.run(inputs),
      onBatch: (rows, seconds) => this.opts.metrics.batch(rows, seconds),
    });
    this.loaded = { model, batcher };
    const m = this.opts.monitoring;
    // Drift bins numeric features and predictions: files in and label strings out have none (docs/modeldeployment.md).
    if (m && !isProcessed(model)) {
      this.monitor = new Monitor(m.options, m.baseline, model.signature, this.opts.metrics.registry);
      this.opts.metrics.countServingIn(this.monitor.serving);
    }
    this.backend = backend;
    this.opts.metrics.setBackend(backend);
    this.opts.metrics.setReady(this.ready);
  }

  /**
   * Runs a validated request through the batcher; with declared processing, its files are decoded first (alone, so a
   * bad one fails only its request) and its outputs postprocessed after (with the request's V2 class_count).
   */
  async infer(req: Prepared): Promise<BatchResult> {
    if (this.loaded === undefined) throw errors.notReady(this.name);
    const model = this.loaded.model;
    this.opts.metrics.inFlight(1);
    try {
      const prepared = isProcessed(model) ? processed(req, await model.preprocess(req.inputs)) : req;
      const result = await this.loaded.batcher.submit(prepared);
      this.opts.metrics.queued(result.queueSeconds);
      if (isProcessed(model)) {
        const outputs: OutputTensor[] = model.postprocess(result.outputs, req.classCount);
        return { ...result, outputs };
      }
      return result;
    } finally {
      this.opts.metrics.inFlight(-1);
    }
  }

  /**
   * After SIGTERM: not ready, yet still serving what endpoints route here until they drop the pod (start.ts);
   * replies then say `Connection: close` so keep-alive clients reconnect elsewhere (http/app.ts).
   */
  get draining(): boolean {
    return this.drainStarted;
  }

  /** Readiness turns false; requests already accepted still complete. */
  startDraining(): void {
    this.drainStarted = true;
    this.opts.metrics.setReady(false);
  }

  async drain(): Promise<void> {
    await this.loaded?.batcher.drain();
  }
}
