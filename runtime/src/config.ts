/**
 * Flags and environment for `serve`: one table drives parsing, env fallback,
 * validation and --help, so a flag cannot exist without its env var and docs.
 * Pure: argv and env in, config out, ConfigError (one line) on anything wrong.
 */
import { parseArgs } from "node:util";
import { type CaptureConfig, CaptureConfigError, parseCaptureConfig } from "./contract/capture.js";
import { POD_ENV } from "./contract/pod-env.js";
import type { ModelProcessing } from "./contract/processing.js";
import { SERVING_DEFAULTS } from "./contract/serving.js";
import { ConfigError } from "./errors.js";

export const BACKENDS = ["auto", "tensorflow", "tensorflow-gpu", "wasm", "cpu"] as const;
/** spec.model.format's values (the operator passes it as is), plus `auto`: `.onnx` → onnx, a SavedModel folder → tf-savedmodel, else TF.js. */
const MODEL_FORMATS = ["auto", "tfjs-layers", "tfjs-graph", "onnx", "tf-savedmodel", "gguf"] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];
export type BackendChoice = (typeof BACKENDS)[number];
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface ServeConfig {
  modelUri: string;
  modelName: string;
  modelVersion: string;
  /** Lower-case hex sha256 of the artifact, when given. */
  modelDigest: string | undefined;
  host: string;
  port: number;
  /** gRPC (V2 and TF Serving) port; undefined: no gRPC listener. */
  grpcPort: number | undefined;
  backend: BackendChoice;
  modelFormat: ModelFormat;
  /** onnxruntime intra-op threads; 0: the CPUs the process may use. */
  onnxThreads: number;
  /** Declared pre- and postprocessing (spec.model's), checked against the model at load. */
  modelProcessing: ModelProcessing | undefined;
  /** tf-savedmodel: the MetaGraph's tags, comma-separated (default serve). */
  savedModelTags: string;
  /** tf-savedmodel: the SignatureDef served (default serving_default). */
  savedModelSignature: string;
  /** The pod has a GPU: ONNX tries onnxruntime's CUDA execution provider first. */
  gpu: boolean;
  /** The node-local model cache folder; undefined: no cache (each start streams into a scratch copy). */
  modelCache: string | undefined;
  /** Bound of that cache: least recently used entries go beyond it. */
  modelCacheBytes: number;
  /** The container's memory limit in bytes; 0: none known, no check. */
  memoryLimit: number;
  /** gguf (llama.cpp): tokens per sequence, CPU threads (0: all), GPU layers, sequences, max_tokens cap, template. */
  llmContextSize: number;
  llmThreads: number;
  llmGpuLayers: number;
  llmParallel: number;
  llmMaxTokens: number;
  llmChatTemplate: string | undefined;
  /** 1 turns dynamic batching off. */
  maxBatchSize: number;
  maxLatencyMs: number;
  maxRequestRows: number;
  bodyLimitBytes: number;
  maxPendingRequests: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  grpcMaxConcurrentStreams: number;
  /** PEM files; both or neither (HTTPS and gRPC over TLS when given). */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  authTokenFile: string | undefined;
  /** KV v2 path of the API keys in Vault (auth from Vault; login from LIFTOFF_VAULT_*). */
  authVaultPath: string | undefined;
  authVaultKey: string | undefined;
  authRefreshSeconds: number;
  authGraceSeconds: number;
  pvcRoot: string;
  shutdownDelayMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** stats.json of the training data: the drift baseline (drift is off without it). */
  baselineUri: string | undefined;
  monitoringWindowSeconds: number;
  /** How often the monitoring snapshot is pushed to the operator (LIFTOFF_REPORT_URL set: serve/monitoring/pusher.ts). */
  monitoringReportSeconds: number;
  feedback: boolean;
  predictionTtlSeconds: number;
  predictionStoreRows: number;
  /** Capture of served records (spec.capture, contract/capture.ts); undefined: off. */
  capture: CaptureConfig | undefined;
}

type Kind = "string" | "int" | "enum" | "digest" | "name" | "bool";
interface FlagSpec {
  flag: string;
  /** Every name comes from the pod env table the operator builds pods from. */
  env: (typeof POD_ENV)[keyof typeof POD_ENV]["name"];
  key: keyof ServeConfig;
  kind: Kind;
  help: string;
  default?: string;
  required?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export const SERVE_FLAGS: readonly FlagSpec[] = [
  {
    flag: "model-uri",
    env: POD_ENV.modelUri.name,
    key: "modelUri",
    kind: "string",
    required: true,
    help: "model.json (or .onnx file, or SavedModel folder) location: path, file://, pvc://<claim>/<path>, http(s)://, s3://<bucket>/<key> (AWS_* env)",
  },
  {
    flag: "model-name",
    env: POD_ENV.modelName.name,
    key: "modelName",
    kind: "name",
    required: true,
    help: "name clients use in /v1/models/<name> and /v2/models/<name>",
  },
  {
    flag: "model-version",
    env: POD_ENV.modelVersion.name,
    key: "modelVersion",
    kind: "name",
    default: "1",
    help: "version reported by V2 metadata",
  },
  {
    flag: "model-digest",
    env: POD_ENV.modelDigest.name,
    key: "modelDigest",
    kind: "digest",
    help: "sha256:<hex> of model.json followed by its weight files (ONNX: of the .onnx file; tf-savedmodel: of its files' sha256sum lines); refuse to serve on mismatch",
  },
  {
    flag: "host",
    env: POD_ENV.host.name,
    key: "host",
    kind: "string",
    help: "address to bind (default: $POD_IP, else 0.0.0.0)",
  },
  {
    flag: "port",
    env: POD_ENV.port.name,
    key: "port",
    kind: "int",
    default: "8080",
    min: 0,
    max: 65535,
    help: "TCP port (0 picks a free one)",
  },
  {
    flag: "grpc-port",
    env: POD_ENV.grpcPort.name,
    key: "grpcPort",
    kind: "int",
    min: 0,
    max: 65535,
    help: "gRPC port for V2 GRPCInferenceService and TF Serving PredictionService (KServe uses 8081; 0 picks a free one; unset: no gRPC)",
  },
  {
    flag: "backend",
    env: POD_ENV.backend.name,
    key: "backend",
    kind: "enum",
    default: "auto",
    values: BACKENDS,
    help: "TensorFlow.js backend; auto picks the fastest available",
  },
  {
    flag: "model-format",
    env: POD_ENV.modelFormat.name,
    key: "modelFormat",
    kind: "enum",
    default: "auto",
    values: MODEL_FORMATS,
    help: "onnx: an ONNX file (a folder: its model.onnx) run by onnxruntime; tf-savedmodel: a SavedModel folder run by libtensorflow; gguf: a GGUF file on llama.cpp behind the OpenAI API; tfjs-*: model.json; auto: by the .onnx extension, or a folder with saved_model.pb and no model.json",
  },
  {
    flag: "savedmodel-tags",
    env: POD_ENV.savedModelTags.name,
    key: "savedModelTags",
    kind: "string",
    default: "serve",
    help: "tf-savedmodel: the tags of the MetaGraph to load, comma-separated",
  },
  {
    flag: "savedmodel-signature",
    env: POD_ENV.savedModelSignature.name,
    key: "savedModelSignature",
    kind: "name",
    default: "serving_default",
    help: "tf-savedmodel: the SignatureDef served (TF Serving's signature_name)",
  },
  {
    flag: "model-processing",
    env: POD_ENV.modelProcessing.name,
    key: "modelProcessing",
    kind: "string",
    help: 'JSON {"preprocessing": {"image": {...}}, "postprocessing": {"topK": {...}}}: files in, labels out (docs/modeldeployment.md)',
  },
  {
    flag: "capture",
    env: POD_ENV.capture.name,
    key: "capture",
    kind: "string",
    help: "JSON CaptureConfig (contract/capture.ts): write sampled raw records, predictions and labels as Parquet versions",
  },
  {
    flag: "onnx-threads",
    env: POD_ENV.onnxThreads.name,
    key: "onnxThreads",
    kind: "int",
    default: "0",
    min: 0,
    max: 1024,
    help: "onnxruntime intra-op threads for an ONNX model; 0: the CPUs this process may use",
  },
  {
    flag: "gpu",
    env: POD_ENV.gpu.name,
    key: "gpu",
    kind: "bool",
    default: "false",
    help: "run an ONNX model on onnxruntime's CUDA provider, falling back to the CPU (and saying so) when it cannot load",
  },
  {
    flag: "model-cache",
    env: POD_ENV.modelCache.name,
    key: "modelCache",
    kind: "string",
    help: "node-local cache folder of ONNX models by digest (a pinned digest is looked up before any fetch)",
  },
  {
    flag: "model-cache-bytes",
    env: POD_ENV.modelCacheBytes.name,
    key: "modelCacheBytes",
    kind: "int",
    default: String(20 * 1024 ** 3),
    min: 0,
    help: "bound of the model cache in bytes; least recently used models are removed beyond it",
  },
  {
    flag: "memory-limit",
    env: POD_ENV.memoryLimit.name,
    key: "memoryLimit",
    kind: "int",
    default: "0",
    min: 0,
    help: "the container's memory limit in bytes: a model that cannot load within it is refused (ModelTooLarge); 0: no check",
  },
  {
    flag: "llm-context-size",
    env: POD_ENV.llmContextSize.name,
    key: "llmContextSize",
    kind: "int",
    default: "2048",
    min: 16,
    max: 1048576,
    help: "gguf: tokens each sequence holds, prompt and completion together (a longer prompt gets 400)",
  },
  {
    flag: "llm-threads",
    env: POD_ENV.llmThreads.name,
    key: "llmThreads",
    kind: "int",
    default: "0",
    min: 0,
    max: 1024,
    help: "gguf: CPU threads llama.cpp evaluates with; 0: every core it sees",
  },
  {
    flag: "llm-gpu-layers",
    env: POD_ENV.llmGpuLayers.name,
    key: "llmGpuLayers",
    kind: "int",
    default: "0",
    min: 0,
    max: 100000,
    help: "gguf: layers offloaded to the GPU (CUDA when the pod has one); 0: CPU only",
  },
  {
    flag: "llm-parallel",
    env: POD_ENV.llmParallel.name,
    key: "llmParallel",
    kind: "int",
    default: "4",
    min: 1,
    max: 256,
    help: "gguf: requests decoding at once (sequences of one context); more wait, up to --max-pending-requests",
  },
  {
    flag: "llm-max-tokens",
    env: POD_ENV.llmMaxTokens.name,
    key: "llmMaxTokens",
    kind: "int",
    default: "512",
    min: 1,
    max: 1048576,
    help: "gguf: most tokens one request may generate (a larger max_tokens gets 400; the default when none is given)",
  },
  {
    flag: "llm-chat-template",
    env: POD_ENV.llmChatTemplate.name,
    key: "llmChatTemplate",
    kind: "string",
    help: "gguf: a chat wrapper name (chatML, llama3, mistral, ...) or a Jinja template; default: the model's own",
  },
  {
    flag: "max-batch-size",
    env: POD_ENV.maxBatchSize.name,
    key: "maxBatchSize",
    kind: "int",
    default: "1",
    min: 1,
    max: 65536,
    help: "rows merged into one model call; 1 turns batching off",
  },
  {
    flag: "max-latency-ms",
    env: POD_ENV.maxLatencyMs.name,
    key: "maxLatencyMs",
    kind: "int",
    default: "0",
    min: 0,
    max: 60000,
    help: "opt-in: while the model is idle, wait up to this long for a fuller batch; 0 takes what is queued at once",
  },
  {
    flag: "max-request-rows",
    env: POD_ENV.maxRequestRows.name,
    key: "maxRequestRows",
    kind: "int",
    default: "1024",
    min: 1,
    max: 1048576,
    help: "most rows (batch dimension) one request may carry",
  },
  {
    flag: "body-limit-bytes",
    env: POD_ENV.bodyLimitBytes.name,
    key: "bodyLimitBytes",
    kind: "int",
    default: String(10 * 1024 * 1024),
    min: 1024,
    max: 1024 * 1024 * 1024,
    help: "larger request bodies get 413",
  },
  {
    flag: "max-pending-requests",
    env: POD_ENV.maxPendingRequests.name,
    key: "maxPendingRequests",
    kind: "int",
    default: "256",
    min: 1,
    max: 1000000,
    help: "most requests (HTTP and gRPC) queued or computing at once; more get 503 with Retry-After (gRPC RESOURCE_EXHAUSTED)",
  },
  {
    flag: "request-timeout-ms",
    env: POD_ENV.requestTimeoutMs.name,
    key: "requestTimeoutMs",
    kind: "int",
    default: "30000",
    min: 1000,
    max: 3600000,
    help: "time a client has to send a whole HTTP request (408 after it)",
  },
  {
    flag: "headers-timeout-ms",
    env: POD_ENV.headersTimeoutMs.name,
    key: "headersTimeoutMs",
    kind: "int",
    default: "10000",
    min: 1000,
    max: 3600000,
    help: "time a client has to send an HTTP request's headers (at most --request-timeout-ms)",
  },
  {
    flag: "grpc-max-concurrent-streams",
    env: POD_ENV.grpcMaxConcurrentStreams.name,
    key: "grpcMaxConcurrentStreams",
    kind: "int",
    default: "100",
    min: 1,
    max: 100000,
    help: "most concurrent gRPC calls per connection",
  },
  {
    flag: "tls-cert-file",
    env: POD_ENV.tlsCertFile.name,
    key: "tlsCertFile",
    kind: "string",
    help: "PEM certificate (chain): HTTP becomes HTTPS and gRPC uses TLS, on the same ports; with --tls-key-file",
  },
  {
    flag: "tls-key-file",
    env: POD_ENV.tlsKeyFile.name,
    key: "tlsKeyFile",
    kind: "string",
    help: "PEM private key of --tls-cert-file",
  },
  {
    flag: "auth-token-file",
    env: POD_ENV.authTokenFile.name,
    key: "authTokenFile",
    kind: "string",
    help: "file of accepted bearer tokens, one per line; enables auth",
  },
  {
    flag: "auth-vault-path",
    env: POD_ENV.authVaultPath.name,
    key: "authVaultPath",
    kind: "string",
    help: "KV v2 path of the API keys in Vault, e.g. secret/data/team-a/api-keys (login from LIFTOFF_VAULT_*); enables auth",
  },
  {
    flag: "auth-vault-key",
    env: POD_ENV.authVaultKey.name,
    key: "authVaultKey",
    kind: "string",
    help: "entry of that secret holding this model's keys; the other entries are other models' keys (refused like an unknown key)",
  },
  {
    flag: "auth-refresh-seconds",
    env: POD_ENV.authRefreshSeconds.name,
    key: "authRefreshSeconds",
    kind: "int",
    default: String(SERVING_DEFAULTS.authRefreshSeconds),
    min: 1,
    max: 3600,
    help: "re-read the keys from Vault this often: a rotated key is accepted within this time",
  },
  {
    flag: "auth-grace-seconds",
    env: POD_ENV.authGraceSeconds.name,
    key: "authGraceSeconds",
    kind: "int",
    default: String(SERVING_DEFAULTS.authGraceSeconds),
    min: 0,
    max: 86400,
    help: "a replaced key stays valid this long after the pod saw its replacement",
  },
  {
    flag: "pvc-root",
    env: POD_ENV.pvcRoot.name,
    key: "pvcRoot",
    kind: "string",
    default: "/mnt/pvc",
    help: "where pvc://<claim>/<path> claims are mounted (<root>/<claim>/<path>)",
  },
  {
    flag: "shutdown-delay-ms",
    env: POD_ENV.shutdownDelayMs.name,
    key: "shutdownDelayMs",
    kind: "int",
    default: "0",
    min: 0,
    max: 600000,
    help: "after SIGTERM, stay up not-ready this long so endpoints drop the pod",
  },
  {
    flag: "log-level",
    env: POD_ENV.logLevel.name,
    key: "logLevel",
    kind: "enum",
    default: "info",
    values: LOG_LEVELS,
    help: "log level (JSON logs on stdout)",
  },
  {
    flag: "baseline-uri",
    env: POD_ENV.baselineUri.name,
    key: "baselineUri",
    kind: "string",
    help: "stats.json of the training data (path, pvc://, http(s)://, s3://): turns drift counting on",
  },
  {
    flag: "monitoring-window-seconds",
    env: POD_ENV.monitoringWindowSeconds.name,
    key: "monitoringWindowSeconds",
    kind: "int",
    default: String(SERVING_DEFAULTS.monitoringWindowSeconds),
    min: 1,
    max: 86400,
    help: "sliding window of the drift counts and feedback figures at /monitoring (10 sub-windows)",
  },
  {
    flag: "monitoring-report-seconds",
    env: POD_ENV.monitoringReportSeconds.name,
    key: "monitoringReportSeconds",
    kind: "int",
    default: "60",
    min: 1,
    max: 3600,
    help: "push the monitoring snapshot to the operator this often (only with LIFTOFF_REPORT_URL)",
  },
  {
    flag: "feedback",
    env: POD_ENV.feedback.name,
    key: "feedback",
    kind: "bool",
    default: String(SERVING_DEFAULTS.feedback),
    help: "keep predictions by id and accept ground truth at :feedback (true/false)",
  },
  {
    flag: "prediction-ttl-seconds",
    env: POD_ENV.predictionTtlSeconds.name,
    key: "predictionTtlSeconds",
    kind: "int",
    default: "3600",
    min: 1,
    max: 604800,
    help: "how long a prediction waits for its feedback",
  },
  {
    flag: "prediction-store-rows",
    env: POD_ENV.predictionStoreRows.name,
    key: "predictionStoreRows",
    kind: "int",
    default: "100000",
    min: 1,
    max: 10000000,
    help: "most prediction rows kept for feedback (oldest dropped first)",
  },
];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:([0-9a-fA-F]{64})$/;

function convert(spec: FlagSpec, raw: string, from: string): string | number {
  switch (spec.kind) {
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${from} must be an integer, got '${raw}'`);
      const n = Number(raw);
      if (n < (spec.min ?? 0) || n > (spec.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new ConfigError(`${from} must be between ${spec.min} and ${spec.max}, got ${raw}`);
      }
      return n;
    }
    case "enum":
      if (!spec.values?.includes(raw))
        throw new ConfigError(`${from} must be one of ${spec.values?.join(", ")}, got '${raw}'`);
      return raw;
    case "digest": {
      const m = DIGEST_RE.exec(raw);
      if (!m?.[1]) throw new ConfigError(`${from} must look like sha256:<64 hex digits>, got '${raw}'`);
      return m[1].toLowerCase();
    }
    case "bool":
      if (raw !== "true" && raw !== "false") throw new ConfigError(`${from} must be true or false, got '${raw}'`);
      return raw;
    case "name":
      if (!NAME_RE.test(raw))
        throw new ConfigError(`${from} must be 1-128 of [A-Za-z0-9_.-] starting with a letter or digit, got '${raw}'`);
      return raw;
    default:
      if (raw === "") throw new ConfigError(`${from} must not be empty`);
      return raw;
  }
}

/**
 * node:util parseArgs (as the operator uses) with every flag a string; values
 * are converted and checked from the table. A flag given twice is refused rather
 * than silently taking the last one.
 */
function splitArgs(argv: readonly string[]): Map<string, string> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(SERVE_FLAGS.map((s) => [s.flag, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (err) {
    const first = (err as Error).message.split("\n")[0] ?? "bad flags";
    throw new ConfigError(`${first} (see serve --help)`);
  }
  const out = new Map<string, string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    if (out.has(t.name)) throw new ConfigError(`flag --${t.name} is given twice`);
    out.set(t.name, t.value ?? "");
  }
  return out;
}

/**
 * The JSON of LIFTOFF_MODEL_PROCESSING / --model-processing: an object of preprocessing (exactly one kind) and
 * postprocessing. Its fields are checked against the model when it loads (serve/preprocess/, serve/model/).
 */
function parseModelProcessing(raw: string): ModelProcessing {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError("--model-processing is not valid JSON");
  }
  const isObject = (x: unknown): x is Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObject(v)) throw new ConfigError("--model-processing must be a JSON object");
  const extra = Object.keys(v).filter((k) => k !== "preprocessing" && k !== "postprocessing");
  if (extra.length > 0) throw new ConfigError(`--model-processing has unknown field(s) ${extra.join(", ")}`);
  const pre = v.preprocessing;
  if (pre !== undefined) {
    const kinds = isObject(pre) ? Object.entries(pre) : [];
    const [kind, body] = kinds[0] ?? [];
    if (kinds.length !== 1 || !["image", "audio", "text"].includes(kind as string) || !isObject(body))
      throw new ConfigError("--model-processing: preprocessing must set exactly one of image, audio or text");
  }
  const post = v.postprocessing;
  if (post !== undefined && (!isObject(post) || (post.topK !== undefined && !isObject(post.topK))))
    throw new ConfigError("--model-processing: postprocessing must be an object, its topK one too");
  return v as ModelProcessing;
}

export function parseServeConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeConfig {
  const args = splitArgs(argv);
  const cfg: Record<string, unknown> = {};
  for (const spec of SERVE_FLAGS) {
    const fromFlag = args.get(spec.flag);
    const fromEnv = env[spec.env];
    let raw: string | undefined;
    let from: string;
    if (fromFlag !== undefined) [raw, from] = [fromFlag, `--${spec.flag}`];
    else if (fromEnv !== undefined && fromEnv !== "") [raw, from] = [fromEnv, spec.env];
    else [raw, from] = [spec.default, `--${spec.flag}`];
    if (raw === undefined) {
      if (spec.required) throw new ConfigError(`--${spec.flag} (or ${spec.env}) is required`);
      cfg[spec.key] = undefined;
      continue;
    }
    cfg[spec.key] = convert(spec, raw, from);
  }
  cfg.host ??= env.POD_IP || "0.0.0.0";
  if (typeof cfg.modelProcessing === "string") cfg.modelProcessing = parseModelProcessing(cfg.modelProcessing);
  if (typeof cfg.capture === "string") {
    try {
      cfg.capture = parseCaptureConfig(cfg.capture);
    } catch (err) {
      if (err instanceof CaptureConfigError) throw new ConfigError(`--capture: ${err.message}`);
      throw err;
    }
  }
  cfg.feedback = cfg.feedback === "true";
  cfg.gpu = cfg.gpu === "true";
  // Keys in the environment leak (ps e, /proc/<pid>/environ, crash dumps, a pod spec): refused, not ignored, so a
  // setup that relied on them does not come up without auth.
  if (env[POD_ENV.authTokens.name] !== undefined)
    throw new ConfigError(
      `${POD_ENV.authTokens.name} is no longer read (keys in the environment leak): give them in --auth-token-file or Vault (--auth-vault-path)`,
    );
  if ((cfg.tlsCertFile === undefined) !== (cfg.tlsKeyFile === undefined))
    throw new ConfigError("--tls-cert-file and --tls-key-file go together");
  if ((cfg.authVaultPath === undefined) !== (cfg.authVaultKey === undefined))
    throw new ConfigError("--auth-vault-path and --auth-vault-key go together");
  if (cfg.authVaultPath !== undefined && cfg.authTokenFile !== undefined)
    throw new ConfigError("--auth-vault-path replaces --auth-token-file; use one");
  return cfg as unknown as ServeConfig;
}

export function serveHelp(): string {
  const lines = [
    "usage: liftoff-runtime serve --model-uri <uri> --model-name <name> [flags]",
    "",
    "flags (each also an env var):",
  ];
  for (const s of SERVE_FLAGS) {
    const def = s.default !== undefined ? ` (default ${s.default})` : s.required ? " (required)" : "";
    lines.push(`  --${s.flag.padEnd(20)} ${s.env.padEnd(28)} ${s.help}${def}`);
  }
  return lines.join("\n");
}
