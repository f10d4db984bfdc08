/**
 * `serve`: flags → backend → listen (not ready) → load and warm up the model →
 * ready. SIGTERM/SIGINT: not ready, optional delay, finish in-flight requests, exit.
 */
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { inContainerRoot, resolveModelUri } from "../artifact.js";
import { parseServeConfig, type ServeConfig } from "../config.js";
import { ModelReason } from "../contract/model-reasons.js";
import { ConfigError } from "../errors.js";
import { ModelCache } from "../model-cache.js";
import { objectStoresFromEnv } from "../model-store.js";
import { EgressError, type EgressPolicy, egressPolicy } from "../net/egress.js";
import { reportChannelFromEnv } from "../report/reporter.js";
import type { VaultKvClient } from "../vault/client.js";
import { type Authenticator, loadTokens } from "./auth.js";
import type { PreparedCapture } from "./capture/setup.js";
import type { GrpcListener } from "./grpc/listener.js";
import { buildHttpApp } from "./http/app.js";
import { RuntimeMetrics } from "./metrics.js";
import { ModelHost } from "./model-host.js";
import { loadBaseline } from "./monitoring/baseline-source.js";
import { httpsPush, MonitoringPusher } from "./monitoring/pusher.js";
import { loadTls } from "./tls.js";
import { VaultApiKeys } from "./vault-api-keys.js";

/** The node-local model cache of --model-cache, below the pod's root folder on the local node agent. */
function modelCacheFor(config: ServeConfig, prefix: string | undefined): ModelCache | undefined {
  if (config.modelCache === undefined) return undefined;
  const dir = prefix ? path.join(prefix, config.modelCache) : config.modelCache;
  return new ModelCache({ dir, maxBytes: config.modelCacheBytes });
}

/**
 * What the pod pushes to the operator each period: its monitoring snapshot, plus `gpuFallback` when it asked for the
 * GPU and runs on the CPU, and a language model's last minute of tokens (`llm`, the operator's tokens/s); a pod
 * without monitoring then pushes an empty window just to carry them.
 */
function pushedSnapshot(modelHost: ModelHost): unknown {
  const snapshot = modelHost.monitor?.snapshot();
  const fallback = modelHost.gpuFallback;
  const llm = modelHost.llm?.metrics.window();
  if (fallback === undefined && llm === undefined) return snapshot;
  return {
    ...(snapshot ?? { windowSeconds: 0, baseline: { configured: false } }),
    ...(fallback !== undefined ? { gpuFallback: fallback } : {}),
    ...(llm !== undefined ? { llm } : {}),
  };
}

export interface Running {
  app: FastifyInstance;
  /** Present with --grpc-port. */
  grpc: GrpcListener | undefined;
  modelHost: ModelHost;
  config: ServeConfig;
  /** Resolves when the model is loaded (rejects when it cannot be). */
  loaded: Promise<void>;
  /** Drain (see below), then close. */
  shutdown(): Promise<void>;
  /** Close every listener now (a failed start). */
  close(): Promise<void>;
}

/** Refresh messages go to the server's logger once it exists (the first read happens before it is built). */
interface KeyLog {
  info(msg: string): void;
  warn(msg: string): void;
}

// Imported where used (vault, capture, gRPC): each pulls in a client library (node-vault, the AWS SDK, grpc-js and
// its protos) that a pod without that feature never needs, and loading them all cost every start about 0.5 s.
async function vaultClientFromEnv(env: NodeJS.ProcessEnv): Promise<VaultKvClient> {
  return (await import("../vault/env.js")).vaultClientFromEnv(env);
}

/** The API keys from Vault (login with the pod's projected token); a VaultError when they cannot be read. */
async function vaultApiKeys(config: ServeConfig, env: NodeJS.ProcessEnv, log: KeyLog): Promise<Authenticator> {
  const path = config.authVaultPath ?? "";
  const vault = await vaultClientFromEnv(env);
  const keys = new VaultApiKeys(
    { read: () => vault.readKvData(path) },
    {
      key: config.authVaultKey ?? "",
      refreshMs: config.authRefreshSeconds * 1000,
      graceMs: config.authGraceSeconds * 1000,
      log,
      where: { path, role: env.LIFTOFF_VAULT_ROLE ?? "" },
    },
  );
  try {
    await keys.start();
  } catch (err) {
    vault.close();
    throw err;
  }
  return keys;
}

/** The admin's egress allow-list (LIFTOFF_EGRESS_ALLOW); a malformed one stops serve with the entry it cannot read. */
function allowList(env: NodeJS.ProcessEnv): EgressPolicy {
  try {
    return egressPolicy(env);
  } catch (err) {
    if (err instanceof EgressError) throw new ConfigError(err.message);
    throw err;
  }
}

export async function startServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const config = parseServeConfig(argv, env);
  const egress = allowList(env);
  const location = inContainerRoot(resolveModelUri(config.modelUri, config.pvcRoot), env.LIFTOFF_PATH_PREFIX);
  let logger: FastifyInstance["log"] | undefined;
  const keyLog: KeyLog = { info: (m) => logger?.info(m), warn: (m) => logger?.warn(m) };
  const tokens = config.authVaultPath
    ? await vaultApiKeys(config, env, keyLog)
    : await loadTokens(config.authTokenFile);
  const tls = await loadTls(config.tlsCertFile, config.tlsKeyFile);
  // A named backend is initialised now, so a missing one fails before listening;
  // `auto` is decided with the model loaded (see probeBackends).
  if (config.backend !== "auto") await (await import("../backends.js")).initBackend(config.backend);
  const metrics = new RuntimeMetrics(config.modelName);
  const baselineLocation =
    config.baselineUri === undefined
      ? undefined
      : inContainerRoot(resolveModelUri(config.baselineUri, config.pvcRoot), env.LIFTOFF_PATH_PREFIX);
  // Built on first use: a pod that reads nothing from object storage neither logs in to Vault for S3 keys nor needs them.
  const objectStore = objectStoresFromEnv(env);
  const baseline = await loadBaseline(baselineLocation, egress, undefined, objectStore);
  // With monitoring on and the operator's report endpoint in the env, the snapshot is pushed to it every period
  // (checked before listening, so a half-set channel fails the start cleanly).
  let channel: ReturnType<typeof reportChannelFromEnv>;
  try {
    // A GPU pod pushes too: what the operator learns from it is whether the GPU was taken (GPUFallback); a language
    // model's pod pushes its tokens/s.
    const pushes = baseline !== undefined || config.feedback || config.gpu || config.modelFormat === "gguf";
    channel = pushes ? reportChannelFromEnv(env) : undefined;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  // Capture: salts and the data key's policy are checked now, so a missing one fails the start (capture/setup.ts).
  const capture: PreparedCapture | undefined = config.capture
    ? await (await import("./capture/setup.js")).prepareCapture(config.capture, {
        env,
        pvcRoot: config.pvcRoot,
        objectStore,
        vault: () => vaultClientFromEnv(env),
        format: config.modelFormat,
        processing: config.modelProcessing !== undefined,
      })
    : undefined;
  const limits = { maxRequestRows: config.maxRequestRows, bodyLimitBytes: config.bodyLimitBytes };
  const modelHost = new ModelHost({
    name: config.modelName,
    version: config.modelVersion,
    metrics,
    maxBatchSize: config.maxBatchSize,
    maxLatencyMs: config.maxLatencyMs,
    maxPendingRequests: config.maxPendingRequests,
    format: config.modelFormat,
    onnxThreads: config.onnxThreads,
    ...(config.modelProcessing !== undefined ? { processing: config.modelProcessing } : {}),
    savedModel: {
      tags: config.savedModelTags
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
      signature: config.savedModelSignature,
    },
    gpu: config.gpu,
    memoryLimitBytes: config.memoryLimit,
    modelCache: modelCacheFor(config, env.LIFTOFF_PATH_PREFIX),
    warn: (message) => logger?.warn(message),
    log: (message) => logger?.info(message),
    // The capture writer exists before the model turns ready: every answered request can be captured.
    ...(capture
      ? {
          beforeReady: async (host: ModelHost) => {
            const { attachCapture } = await import("./capture/setup.js");
            host.capture = await attachCapture(capture, host, metrics.registry, config.feedback, {
              info: (m) => logger?.info(m),
              warn: (m) => logger?.warn(m),
            });
          },
        }
      : {}),
    ...(config.modelFormat === "gguf"
      ? {
          llm: {
            contextSize: config.llmContextSize,
            threads: config.llmThreads,
            gpuLayers: config.llmGpuLayers,
            parallel: config.llmParallel,
            maxTokens: config.llmMaxTokens,
            chatTemplate: config.llmChatTemplate,
          },
        }
      : {}),
    ...(baseline !== undefined || config.feedback
      ? {
          monitoring: {
            baseline,
            options: {
              model: config.modelName,
              windowSeconds: config.monitoringWindowSeconds,
              slots: 10,
              feedback: config.feedback,
              predictionTtlSeconds: config.predictionTtlSeconds,
              predictionStoreRows: config.predictionStoreRows,
              // Pods advertise their IP so feedback reaching another replica can be forwarded (monitoring/feedback.ts).
              advertise: env.POD_IP ? `${env.POD_IP}:${config.port}` : undefined,
            },
          },
        }
      : {}),
  });
  const app = await buildHttpApp({
    modelHost,
    limits,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    auth: tokens,
    tls,
    logLevel: config.logLevel,
    openai: config.modelFormat === "gguf",
  });
  logger = app.log;
  // Listen first so liveness answers while a large model loads; readiness waits.
  await app.listen({ host: config.host, port: config.port });
  let grpc: GrpcListener | undefined;
  if (config.grpcPort !== undefined) {
    try {
      const { startGrpc } = await import("./grpc/listener.js");
      grpc = await startGrpc(
        {
          modelHost,
          limits,
          maxMessageBytes: config.bodyLimitBytes,
          maxConcurrentStreams: config.grpcMaxConcurrentStreams,
          auth: tokens,
          tls,
          log: app.log,
        },
        config.host,
        config.grpcPort,
      );
    } catch (err) {
      await app.close();
      throw new ConfigError(`cannot listen for gRPC on port ${config.grpcPort}: ${(err as Error).message}`);
    }
    app.log.info(`gRPC listening on ${config.host}:${grpc.port}`);
  }
  if (baseline && "error" in baseline) app.log.error(`drift is off: ${baseline.error}`);
  app.log.info(
    {
      auth: tokens !== undefined,
      tls: tls !== undefined,
      maxBatchSize: config.maxBatchSize,
      maxLatencyMs: config.maxLatencyMs,
    },
    `listening on ${config.host}:${(app.server.address() as { port: number }).port}`,
  );

  const loaded = modelHost.load(location, config.modelDigest, config.backend, { egress, objectStore }).then((r) => {
    const { backend: b, probe } = r;
    app.log.info(
      {
        backend: b.name,
        tfjs: b.tfjsVersion,
        libtensorflow: b.libVersion,
        onnxruntime: b.onnxruntimeVersion,
        onnxThreads: b.name === "onnxruntime" ? config.onnxThreads || "cpus" : undefined,
        probeMicros: probe?.timings,
        plainJsRows: modelHost.model?.plainJsRows,
        skippedBackends: probe?.skipped,
        probeRemembered: probe?.remembered,
        digest: `sha256:${r.digest}`,
        bytes: r.bytes,
        downloadSeconds: r.downloadSeconds,
        fetchSeconds: r.fetchSeconds,
        probeSeconds: r.probeSeconds,
        warmupSeconds: r.warmupSeconds,
        cacheHit: r.cacheHit,
      },
      // A model from object storage: its download apart from its load (the cold start's two parts).
      `model ${config.modelName} ready on backend ${b.name} (${r.downloadSeconds !== undefined ? `download ${r.downloadSeconds.toFixed(3)} s${r.cacheHit ? " (node cache hit)" : ""}, load ` : ""}${(r.fetchSeconds + r.probeSeconds + r.warmupSeconds).toFixed(3)} s)`,
    );
    // Asked for the GPU, running on the CPU: said once, led by its reason (docs/modeldeployment.md, "GPU").
    if (r.gpuFallback !== undefined) app.log.warn(`${ModelReason.GPUFallback}: ${r.gpuFallback}`);
    if (capture) app.log.info(`capturing ${capture.config.sampleRate * 100}% of requests to ${capture.store.describe}`);
  });

  const transport = channel ? httpsPush(channel) : undefined;
  const pusher = transport
    ? new MonitoringPusher({
        snapshot: () => pushedSnapshot(modelHost),
        push: transport.push,
        periodMs: config.monitoringReportSeconds * 1000,
        log: { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) },
      })
    : undefined;
  pusher?.start();
  const stopPushing = async () => {
    await pusher?.stop();
    transport?.close();
  };

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      // 1. At once: readiness 503, and every reply from now on says Connection: close (http/app.ts), so a keep-alive
      //    client's connection, which outlives the endpoints' update, ends after its next answer.
      modelHost.startDraining();
      app.log.info(
        `draining: readiness is false; serving on for ${config.shutdownDelayMs} ms while endpoints drop the pod`,
      );
      // 2. The delay: requests still routed here are answered as usual.
      await Promise.all([
        stopPushing(),
        config.shutdownDelayMs > 0 ? new Promise((r) => setTimeout(r, config.shutdownDelayMs)) : undefined,
      ]);
      // 3. Stop listening and close the keep-alive connections that are idle now; a connection with a request begun
      //    (its first bytes read) is busy and is answered, then closed. close() waits for them; drain() sends queued
      //    batches now instead of waiting out --max-latency-ms, so both finish together.
      app.log.info("draining: listener closed; finishing requests in flight");
      await Promise.all([app.close(), grpc?.close(), modelHost.drain()]);
      // Every answered request is in the buffer now: write it all before exiting.
      await modelHost.capture?.stop();
    })();
    return closing;
  };
  const close = async () => {
    await Promise.all([app.close(), grpc?.close(), stopPushing()]);
  };
  return { app, grpc, modelHost, config, loaded, shutdown, close };
}
