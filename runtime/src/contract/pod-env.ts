// Every LIFTOFF_* variable a runtime pod reads: the operator builds pods' env from this table (its desired.ts files)
// and the runtime parses the same names (config.ts for serve, vault/env.ts, report/reporter.ts, prepare/ and train/).
// contract.test.ts builds real pods and checks both sides against it. Flags of `serve` also take these as fallbacks.

/** The runtime's commands, as the operator passes them in a pod's args. */
export type PodCommand = "serve" | "prepare" | "train" | "erase";

export interface PodEnvVar {
  readonly name: `LIFTOFF_${string}`;
  /** The commands that read it. */
  readonly readBy: readonly PodCommand[];
  readonly meaning: string;
}

const ALL: readonly PodCommand[] = ["serve", "prepare", "train", "erase"];

export const POD_ENV = {
  // serve (runtime/src/config.ts SERVE_FLAGS: each is also a --flag)
  modelUri: { name: "LIFTOFF_MODEL_URI", readBy: ["serve"], meaning: "where model.json is (parseModelUri)" },
  modelName: { name: "LIFTOFF_MODEL_NAME", readBy: ["serve"], meaning: "the model's name in /v1 and /v2 paths" },
  modelVersion: { name: "LIFTOFF_MODEL_VERSION", readBy: ["serve"], meaning: "the version V2 metadata reports" },
  modelDigest: { name: "LIFTOFF_MODEL_DIGEST", readBy: ["serve"], meaning: "sha256:<hex> the artifact must match" },
  modelFormat: { name: "LIFTOFF_MODEL_FORMAT", readBy: ["serve"], meaning: "spec.model.format (auto: by extension)" },
  modelProcessing: {
    name: "LIFTOFF_MODEL_PROCESSING",
    readBy: ["serve"],
    meaning: "spec.model's preprocessing and postprocessing as JSON (contract/processing.ts)",
  },
  onnxThreads: { name: "LIFTOFF_ONNX_THREADS", readBy: ["serve"], meaning: "onnxruntime threads (the CPU limit)" },
  savedModelTags: {
    name: "LIFTOFF_SAVEDMODEL_TAGS",
    readBy: ["serve"],
    meaning: "a SavedModel's MetaGraph tags (a,b)",
  },
  savedModelSignature: {
    name: "LIFTOFF_SAVEDMODEL_SIGNATURE",
    readBy: ["serve"],
    meaning: "the SavedModel SignatureDef served",
  },
  gpu: { name: "LIFTOFF_GPU", readBy: ["serve"], meaning: "true: the pod has a GPU (spec.resources.gpu): CUDA first" },
  modelCache: { name: "LIFTOFF_MODEL_CACHE", readBy: ["serve"], meaning: "node-local model cache folder (by digest)" },
  modelCacheBytes: { name: "LIFTOFF_MODEL_CACHE_BYTES", readBy: ["serve"], meaning: "bound of that cache (LRU)" },
  llmContextSize: { name: "LIFTOFF_LLM_CONTEXT_SIZE", readBy: ["serve"], meaning: "gguf: tokens per sequence" },
  llmThreads: { name: "LIFTOFF_LLM_THREADS", readBy: ["serve"], meaning: "gguf: llama.cpp CPU threads" },
  llmGpuLayers: { name: "LIFTOFF_LLM_GPU_LAYERS", readBy: ["serve"], meaning: "gguf: layers on the GPU" },
  llmParallel: { name: "LIFTOFF_LLM_PARALLEL", readBy: ["serve"], meaning: "gguf: requests decoding at once" },
  llmMaxTokens: { name: "LIFTOFF_LLM_MAX_TOKENS", readBy: ["serve"], meaning: "gguf: cap on max_tokens" },
  llmChatTemplate: { name: "LIFTOFF_LLM_CHAT_TEMPLATE", readBy: ["serve"], meaning: "gguf: chat template override" },
  host: { name: "LIFTOFF_HOST", readBy: ["serve"], meaning: "address to bind (default $POD_IP)" },
  port: { name: "LIFTOFF_PORT", readBy: ["serve"], meaning: "HTTP port" },
  grpcPort: { name: "LIFTOFF_GRPC_PORT", readBy: ["serve"], meaning: "gRPC port; unset: no gRPC" },
  backend: { name: "LIFTOFF_BACKEND", readBy: ["serve"], meaning: "TensorFlow.js backend" },
  maxBatchSize: { name: "LIFTOFF_MAX_BATCH_SIZE", readBy: ["serve"], meaning: "rows per model call (batching)" },
  maxLatencyMs: { name: "LIFTOFF_MAX_LATENCY_MS", readBy: ["serve"], meaning: "wait for a fuller batch (ms)" },
  maxRequestRows: { name: "LIFTOFF_MAX_REQUEST_ROWS", readBy: ["serve"], meaning: "most rows one request carries" },
  bodyLimitBytes: { name: "LIFTOFF_BODY_LIMIT_BYTES", readBy: ["serve"], meaning: "largest request body" },
  maxPendingRequests: {
    name: "LIFTOFF_MAX_PENDING_REQUESTS",
    readBy: ["serve"],
    meaning: "most requests queued or computing; more get 503",
  },
  requestTimeoutMs: { name: "LIFTOFF_REQUEST_TIMEOUT_MS", readBy: ["serve"], meaning: "time to receive a request" },
  headersTimeoutMs: { name: "LIFTOFF_HEADERS_TIMEOUT_MS", readBy: ["serve"], meaning: "time to receive its headers" },
  grpcMaxConcurrentStreams: {
    name: "LIFTOFF_GRPC_MAX_CONCURRENT_STREAMS",
    readBy: ["serve"],
    meaning: "most concurrent gRPC calls per connection",
  },
  tlsCertFile: { name: "LIFTOFF_TLS_CERT_FILE", readBy: ["serve"], meaning: "PEM certificate for HTTPS and gRPC" },
  tlsKeyFile: { name: "LIFTOFF_TLS_KEY_FILE", readBy: ["serve"], meaning: "PEM key of that certificate" },
  authTokenFile: { name: "LIFTOFF_AUTH_TOKEN_FILE", readBy: ["serve"], meaning: "file of accepted bearer tokens" },
  authTokens: {
    name: "LIFTOFF_AUTH_TOKENS",
    readBy: ["serve"],
    meaning: "removed (#24): refused at start; keys come from --auth-token-file or Vault",
  },
  authVaultPath: { name: "LIFTOFF_AUTH_VAULT_PATH", readBy: ["serve"], meaning: "KV v2 path of the API keys" },
  authVaultKey: { name: "LIFTOFF_AUTH_VAULT_KEY", readBy: ["serve"], meaning: "entry of that secret with the keys" },
  authRefreshSeconds: { name: "LIFTOFF_AUTH_REFRESH_SECONDS", readBy: ["serve"], meaning: "re-read keys this often" },
  authGraceSeconds: { name: "LIFTOFF_AUTH_GRACE_SECONDS", readBy: ["serve"], meaning: "a replaced key's grace" },
  shutdownDelayMs: { name: "LIFTOFF_SHUTDOWN_DELAY_MS", readBy: ["serve"], meaning: "not-ready time after SIGTERM" },
  logLevel: { name: "LIFTOFF_LOG_LEVEL", readBy: ["serve"], meaning: "log level" },
  baselineUri: { name: "LIFTOFF_BASELINE_URI", readBy: ["serve"], meaning: "stats.json of the training data (drift)" },
  monitoringWindowSeconds: {
    name: "LIFTOFF_MONITORING_WINDOW_SECONDS",
    readBy: ["serve"],
    meaning: "sliding window of the drift and feedback counts",
  },
  feedback: { name: "LIFTOFF_FEEDBACK", readBy: ["serve"], meaning: "keep predictions and accept :feedback" },
  predictionTtlSeconds: {
    name: "LIFTOFF_PREDICTION_TTL_SECONDS",
    readBy: ["serve"],
    meaning: "how long a prediction waits for its feedback",
  },
  monitoringReportSeconds: {
    name: "LIFTOFF_MONITORING_REPORT_SECONDS",
    readBy: ["serve"],
    meaning: "push the monitoring snapshot to the operator's report endpoint this often (the operator's period)",
  },
  predictionStoreRows: {
    name: "LIFTOFF_PREDICTION_STORE_ROWS",
    readBy: ["serve"],
    meaning: "most prediction rows kept for feedback",
  },
  capture: {
    name: "LIFTOFF_CAPTURE",
    readBy: ["serve"],
    meaning: "spec.capture with the lineage's columns, target and pii as JSON (contract/capture.ts)",
  },
  // object storage (contract/storage.ts; runtime/src/storage/): besides the AWS SDK's own AWS_ENDPOINT_URL_S3 and
  // AWS_REGION, which the operator sets from spec.storage
  s3VaultKvPath: {
    name: "LIFTOFF_S3_VAULT_KV_PATH",
    readBy: ALL,
    meaning: "Vault KV v2 secret with the S3 keys (accessKeyId, secretAccessKey[, sessionToken])",
  },
  s3VaultAwsPath: {
    name: "LIFTOFF_S3_VAULT_AWS_PATH",
    readBy: ALL,
    meaning: "Vault AWS secrets engine path (aws/creds/<role>) that issues short-lived S3 keys",
  },
  pvcRoot: { name: "LIFTOFF_PVC_ROOT", readBy: ["serve", "train"], meaning: "where pvc://<claim> claims are mounted" },
  // prepare
  dataSetSpec: { name: "LIFTOFF_DATASET_SPEC", readBy: ["prepare", "erase"], meaning: "the DataSet's spec as JSON" },
  erasure: {
    name: "LIFTOFF_ERASURE",
    readBy: ["erase"],
    meaning: "the ErasureRequest as JSON: its name and the Vault reference of the subjects' keys (never the keys)",
  },
  prepareOut: { name: "LIFTOFF_PREPARE_OUT", readBy: ["prepare"], meaning: "output folder (else --out)" },
  sourceRoot: { name: "LIFTOFF_SOURCE_ROOT", readBy: ["prepare"], meaning: "where source.pvc's claim is mounted" },
  scratch: {
    name: "LIFTOFF_SCRATCH",
    readBy: ["prepare", "train", "erase"],
    meaning: "private working space (train: where s3:// data, checkpoints and the model are staged)",
  },
  memoryLimit: {
    name: "LIFTOFF_MEMORY_LIMIT",
    readBy: ["prepare", "serve", "erase"],
    meaning: "the container's memory limit, bytes",
  },
  cpuLimit: { name: "LIFTOFF_CPU_LIMIT", readBy: ["prepare", "erase"], meaning: "the container's CPU limit, cores" },
  capturedSource: {
    name: "LIFTOFF_CAPTURED_SOURCE",
    readBy: ["prepare"],
    meaning: "source.captured resolved from its ModelDeployment: capture uri and where the pod reads it (JSON)",
  },
  dataSet: {
    name: "LIFTOFF_DATASET",
    readBy: ["prepare", "erase"],
    meaning: "<namespace>/<name> of the DataSet: where its version keys are in Vault KV (liftoff-datakeys)",
  },
  keepVersions: {
    name: "LIFTOFF_KEEP_VERSIONS",
    readBy: ["prepare"],
    meaning: "version folders (hex digests, comma-separated) pruning never removes: TrainingJobs use them",
  },
  // train
  trainSpec: { name: "LIFTOFF_TRAIN_SPEC", readBy: ["train"], meaning: "the TrainingJob's spec and name as JSON" },
  progressInterval: {
    name: "LIFTOFF_PROGRESS_INTERVAL_MS",
    readBy: ["train"],
    meaning: "shortest time between two progress reports (the operator's --progress-interval; 5000 when unset)",
  },
  terminationLog: { name: "LIFTOFF_TERMINATION_LOG", readBy: ["train"], meaning: "termination message file" },
  // train, pytorch (runtime/src/train/pytorch/; operator/src/trainingjob/pytorch/worker-pod.ts)
  torchWorker: {
    name: "LIFTOFF_TORCH_WORKER",
    readBy: ["train"],
    meaning: "pytorch: this worker's index (--node-rank)",
  },
  torchAttempt: { name: "LIFTOFF_TORCH_ATTEMPT", readBy: ["train"], meaning: "pytorch: the worker group's attempt" },
  torchMasterAddr: {
    name: "LIFTOFF_TORCH_MASTER_ADDR",
    readBy: ["train"],
    meaning: "pytorch: worker 0's pod IP (torchrun --master-addr)",
  },
  torchMasterPort: { name: "LIFTOFF_TORCH_MASTER_PORT", readBy: ["train"], meaning: "pytorch: torchrun --master-port" },
  torchScript: { name: "LIFTOFF_TORCH_SCRIPT", readBy: ["train"], meaning: "pytorch: the script's path in the worker" },
  python: {
    name: "LIFTOFF_PYTHON",
    readBy: ["train"],
    meaning: "pytorch: the Python with torch that runs torchrun (the image's ENV; default python3 on PATH)",
  },
  // egress guard (runtime/src/net/egress.ts; operator --egress-allow)
  egressAllow: {
    name: "LIFTOFF_EGRESS_ALLOW",
    readBy: ALL,
    meaning: "CIDRs, host names and .suffixes http(s) fetches may reach beyond public addresses",
  },
  // Vault login (runtime/src/vault/env.ts; operator/src/vault/pod-identity.ts)
  vaultAddr: { name: "LIFTOFF_VAULT_ADDR", readBy: ALL, meaning: "Vault's address" },
  vaultCaCert: { name: "LIFTOFF_VAULT_CACERT", readBy: ALL, meaning: "PEM file of Vault's CA" },
  vaultRole: { name: "LIFTOFF_VAULT_ROLE", readBy: ALL, meaning: "Kubernetes-auth role to log in as" },
  vaultAuthMount: { name: "LIFTOFF_VAULT_AUTH_MOUNT", readBy: ALL, meaning: "Kubernetes auth mount path" },
  vaultTokenFile: { name: "LIFTOFF_VAULT_TOKEN_FILE", readBy: ALL, meaning: "projected token of audience vault" },
  vaultPodName: {
    name: "LIFTOFF_VAULT_POD_NAME",
    readBy: ALL,
    meaning: "the pod's name (downward API), sent to Vault as X-Liftoff-Pod for the access record",
  },
  // result reporting (runtime/src/report/reporter.ts; operator/src/report/pod-spec.ts); serving pods push their
  // monitoring snapshot over the same channel (runtime/src/serve/monitoring/pusher.ts)
  reportUrl: { name: "LIFTOFF_REPORT_URL", readBy: ALL, meaning: "the operator's /v1/report URL" },
  reportTokenFile: { name: "LIFTOFF_REPORT_TOKEN_FILE", readBy: ALL, meaning: "projected token of REPORT_AUDIENCE" },
  reportCa: { name: "LIFTOFF_REPORT_CA", readBy: ALL, meaning: "CA of the operator's certificate (PEM or file)" },
  // Set by the local node agent (devcluster/), never by the operator: container paths live below it.
  pathPrefix: { name: "LIFTOFF_PATH_PREFIX", readBy: ALL, meaning: "host folder the pod's / maps to" },
} as const satisfies Record<string, PodEnvVar>;

export type PodEnvKey = keyof typeof POD_ENV;

/** One `{ name, value }` entry of a container's env, named from the table. */
export function podEnv(key: PodEnvKey, value: string): { name: string; value: string } {
  return { name: POD_ENV[key].name, value };
}
