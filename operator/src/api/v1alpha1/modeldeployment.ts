// ModelDeployment: serve a model from the Liftoff inference runtime, with batching, autoscaling and canaries.
import { type Static, Type } from "@sinclair/typebox";
import { CAPTURE_DEFAULTS } from "../../contract/capture.js";
import { SERVING_DEFAULTS } from "../../contract/serving.js";
import { NumberMap, Obj, ObjectName, Quantity, StringEnum } from "../schema.js";
import {
  ComputeResources,
  Conditions,
  LocalObjectReference,
  ObjectStorage,
  ObservedGeneration,
  Scheduling,
  VaultSecretRef,
} from "./common.js";
import { LoopStatus, RETRAIN_TEMPLATE_RULE, Retrain } from "./retrain.js";

/** A file beside the model in its artifact folder, pinned by its own digest (docs/modeldeployment.md). */
const SideFile = (description: string) =>
  Obj(
    {
      path: Type.String({
        description: "Relative to the model's folder (no '..', not absolute).",
        minLength: 1,
        maxLength: 1024,
        pattern: "^[^/\\\\]([^\\\\]*)$",
      }),
      digest: Type.String({
        description: "sha256:<64 hex> of the file; the runtime refuses to serve on mismatch.",
        pattern: "^sha256:[a-f0-9]{64}$",
      }),
    },
    {
      description,
      rules: [
        {
          rule: "!self.path.split('/').exists(s, s == '..' || s == '.')",
          message: "path must not contain '..' or '.' segments",
        },
      ],
    },
  );

const InputName = Type.String({
  description:
    "The model input this fills; clients send the encoded file under the same name (default: the only input).",
  minLength: 1,
  maxLength: 256,
});

const ImagePreprocessing = Obj(
  {
    input: Type.Optional(InputName),
    width: Type.Integer({ description: "Width the model takes, in pixels.", minimum: 1, maximum: 8192 }),
    height: Type.Integer({ description: "Height the model takes, in pixels.", minimum: 1, maximum: 8192 }),
    layout: StringEnum(["NCHW", "NHWC"] as const, { description: "The model input's layout.", default: "NCHW" }),
    channels: StringEnum(["RGB", "BGR"] as const, { description: "Channel order the model takes.", default: "RGB" }),
    resize: StringEnum(["bilinear", "bicubic", "nearest"] as const, {
      description: "Resampling filter.",
      default: "bilinear",
    }),
    crop: StringEnum(["center", "none"] as const, {
      description:
        "center: cut the largest centred region of the aspect width:height and resize it (with resizeShorterTo: torchvision's Resize(resizeShorterTo) + CenterCrop); none: resize to width × height.",
      default: "center",
    }),
    resizeShorterTo: Type.Optional(
      Type.Integer({
        description: "With crop center: scale the shorter side to this first.",
        minimum: 1,
        maximum: 16384,
      }),
    ),
    mean: Type.Optional(
      Type.Array(Type.Number(), { description: "Per channel, subtracted after scale.", minItems: 3, maxItems: 3 }),
    ),
    std: Type.Optional(
      Type.Array(Type.Number(), { description: "Per channel, divided by after mean.", minItems: 3, maxItems: 3 }),
    ),
    scale: Type.Optional(
      Type.Number({
        description: "Multiplies the 0–255 values first (default 1/255 with mean or std, else 1).",
        exclusiveMinimum: 0,
      }),
    ),
    maxPixels: Type.Optional(
      Type.Integer({
        description:
          "Largest image accepted, width × height from its header, checked before decoding (default 40,000,000).",
        minimum: 1,
        maximum: 1000000000,
      }),
    ),
  },
  {
    description: "Decode a JPEG or PNG per row, crop, resize and normalise it into the model's image input.",
    rules: [
      { rule: "!has(self.resizeShorterTo) || self.crop == 'center'", message: "resizeShorterTo needs crop: center" },
      {
        rule: "!has(self.resizeShorterTo) || (self.resizeShorterTo >= self.width && self.resizeShorterTo >= self.height)",
        message: "resizeShorterTo must be at least width and height",
      },
      { rule: "!has(self.std) || self.std.all(s, s != 0.0)", message: "std must not be 0" },
    ],
  },
);

const ModelInputName = (description: string) => Type.String({ description, minLength: 1, maxLength: 256 });

const AudioPreprocessing = Obj(
  {
    input: Type.Optional(
      ModelInputName(
        "The model input the samples go to; clients send the WAV file under the same name (default: the only input not in zeros).",
      ),
    ),
    sampleRate: Type.Integer({
      description: "The rate the model takes, in Hz; every file is resampled to it.",
      minimum: 1,
      maximum: 768000,
    }),
    maxSeconds: Type.Number({
      description: "A longer file is refused (400) before its samples are decoded.",
      exclusiveMinimum: 0,
      maximum: 3600,
    }),
    framing: Type.Optional(
      Obj(
        {
          frame: Type.Integer({ description: "Samples per frame.", minimum: 1, maximum: 1048576 }),
          context: Type.Integer({
            description: "Samples of the previous frame before each frame (zeros before the first).",
            minimum: 0,
            maximum: 1048576,
          }),
        },
        {
          description:
            "One file per request as rows of context + frame samples, for a sequence model (Silero VAD: frame 512, context 64).",
          rules: [{ rule: "self.context <= self.frame", message: "context must not exceed frame" }],
        },
      ),
    ),
    zeros: Type.Optional(
      Type.Array(ModelInputName("A model input fed zeros of its own fixed shape."), {
        description: "Model inputs fed zeros (a recurrent model's initial state), so a request carries only the file.",
        maxItems: 16,
      }),
    ),
  },
  { description: "Decode a WAV file (PCM or float) per row, mix it to mono and resample it into the model's input." },
);

const TextPreprocessing = Obj(
  {
    input: Type.Optional(
      ModelInputName("The BYTES input clients send their UTF-8 texts in, one per row (default: text)."),
    ),
    tokenizer: SideFile("The model's tokenizer.json (Hugging Face tokenizers format)."),
    tokenizerConfig: Type.Optional(SideFile("Its tokenizer_config.json, when the tokenizer needs one.")),
    maxLength: Type.Integer({
      description: "The most tokens a text may have, special tokens included.",
      minimum: 1,
      maximum: 1048576,
    }),
    truncate: Type.Boolean({
      description: "Cut a longer text to maxLength instead of refusing it with a 400.",
      default: false,
    }),
    inputs: Obj(
      {
        ids: ModelInputName("The model input of token ids."),
        attentionMask: Type.Optional(ModelInputName("The model input of the attention mask (1 token, 0 padding).")),
        tokenTypeIds: Type.Optional(ModelInputName("The model input of token type ids.")),
      },
      { description: "The model inputs the tokenizer's tensors go to (int64 or int32, [batch, sequence])." },
    ),
    pad: Type.Optional(
      Type.Integer({
        description: "The padding id (default: the tokenizer.json's padding.pad_id, else its [PAD] token's id).",
        minimum: 0,
      }),
    ),
  },
  { description: "Tokenize each row's UTF-8 text with the model's own tokenizer into its id inputs." },
);

const Preprocessing = Obj(
  {
    image: Type.Optional(ImagePreprocessing),
    audio: Type.Optional(AudioPreprocessing),
    text: Type.Optional(TextPreprocessing),
  },
  {
    description:
      "Run in the runtime before the model: clients send the file's bytes as a BYTES input (one file per row).",
    rules: [
      {
        rule: "(has(self.image) ? 1 : 0) + (has(self.audio) ? 1 : 0) + (has(self.text) ? 1 : 0) == 1",
        message: "set exactly one of preprocessing.image, preprocessing.audio or preprocessing.text",
      },
    ],
  },
);

const Postprocessing = Obj(
  {
    topK: Type.Optional(
      Obj(
        {
          output: Type.Optional(
            Type.String({ description: "The score output (default: the only output).", minLength: 1, maxLength: 256 }),
          ),
          k: Type.Integer({ description: "How many classes each row answers.", minimum: 1, maximum: 1000 }),
          softmax: Type.Boolean({ description: "Apply softmax first (the output is logits).", default: false }),
          labels: Type.Optional(
            SideFile("One label a line, line i naming class i; V2 class_count is answered with it."),
          ),
        },
        {
          description:
            "Answer the output as BYTES 'score:index:label' strings, the k highest per row (Triton's classification format).",
        },
      ),
    ),
  },
  { description: "Run in the runtime after the model." },
);

const Llm = Obj(
  {
    contextSize: Type.Integer({
      description: "Tokens each request's sequence holds, prompt and completion together; a longer prompt gets 400.",
      minimum: 16,
      maximum: 1048576,
      default: 2048,
    }),
    gpuLayers: Type.Integer({
      description: "Model layers offloaded to the GPU (CUDA); needs resources.gpu. 0 runs on CPU.",
      minimum: 0,
      maximum: 100000,
      default: 0,
    }),
    parallel: Type.Integer({
      description: "Requests decoding at once on one pod (llama.cpp sequences); more wait in a bounded queue.",
      minimum: 1,
      maximum: 256,
      default: 4,
    }),
    maxTokens: Type.Integer({
      description: "Most tokens one request may generate (a larger max_tokens gets 400); the default max_tokens.",
      minimum: 1,
      maximum: 1048576,
      default: 512,
    }),
    chatTemplate: Type.Optional(
      Type.String({
        description:
          "Chat template override: a node-llama-cpp chat wrapper name (chatML, llama3, mistral, ...) or a Jinja template. Default: the template in the GGUF metadata.",
        minLength: 1,
        maxLength: 65536,
      }),
    ),
  },
  { description: "llama.cpp settings of a gguf model (format gguf only)." },
);

/**
 * The model URIs the serving pods read (runtime/src/artifact.ts): pvc://<claim>/<path>, http(s)://…, and
 * s3://<bucket>/<key> with an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens).
 */
const MODEL_URI_PATTERN =
  "^(pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?/\\\\S+|https?://\\\\S+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\\\\S+)$";

const ModelSource = Obj(
  {
    trainingJobRef: Type.Optional(
      Obj(
        { name: LocalObjectReference.properties.name },
        { description: "Serve the model produced by this TrainingJob (same namespace) once it has succeeded." },
      ),
    ),
    trainingSearchRef: Type.Optional(
      Obj(
        { name: LocalObjectReference.properties.name },
        {
          description:
            "Serve the best model of this TrainingSearch (same namespace) once the search has succeeded: its best trial's TrainingJob (status.model.trainingJob) is served as trainingJobRef would serve it.",
        },
      ),
    ),
    uri: Type.Optional(
      Type.String({
        description:
          "Where the model is: pvc://claim/path/model.json (onnx: pvc://claim/path/model.onnx, or its folder; tf-savedmodel: pvc://claim/path, the folder of saved_model.pb; gguf: the .gguf file, or a folder with one), an http(s):// URL, or s3://bucket/key in object storage (the same shapes: model.json or its folder, model.onnx, the SavedModel folder, the .gguf file; spec.storage says how to reach it).",
        maxLength: 2048,
        // A CEL rule rather than a pattern, so a scheme the runtime does not read is refused with what to write instead.
        "x-kubernetes-validations": [
          {
            rule: `self.matches('${MODEL_URI_PATTERN}')`,
            message:
              "model URI must be pvc://<claim>/<path>, http(s)://<host>/<path> or s3://<bucket>/<key>; other schemes are not read by the serving pods",
          },
        ],
      }),
    ),
    format: StringEnum(["tfjs-layers", "tfjs-graph", "onnx", "tf-savedmodel", "gguf"] as const, {
      description:
        "Format of the model artifact: tfjs-layers or tfjs-graph (model.json and weight files), onnx (one .onnx file, run by onnxruntime on CPU; its digest is the file's sha256), tf-savedmodel (a TensorFlow SavedModel folder on a PVC, run by libtensorflow; its digest covers every file, docs/models.md), or gguf (one GGUF language model on llama.cpp, served on the OpenAI API /v1/chat/completions; its digest is the file's sha256).",
      default: "tfjs-layers",
    }),
    savedModel: Type.Optional(
      Obj(
        {
          tags: Type.Optional(
            Type.Array(Type.String({ pattern: "^[A-Za-z0-9_.-]+$", maxLength: 64 }), {
              description: "Tags of the MetaGraph to load (saved_model_cli's --tag_set).",
              minItems: 1,
              maxItems: 16,
              default: ["serve"],
            }),
          ),
          signature: Type.Optional(
            Type.String({
              description:
                "The SignatureDef served, which TF Serving clients name in signature_name; one that the SavedModel lacks fails the load with the ones it has.",
              pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
              default: "serving_default",
            }),
          ),
        },
        { description: "Which part of a tf-savedmodel is served (format tf-savedmodel only)." },
      ),
    ),
    llm: Type.Optional(Llm),
    digest: Type.Optional(
      Type.String({
        description: "Expected sha256 of the artifact ('sha256:<64 hex>'); the runtime refuses to serve on mismatch.",
        pattern: "^sha256:[a-f0-9]{64}$",
      }),
    ),
    preprocessing: Type.Optional(Preprocessing),
    postprocessing: Type.Optional(Postprocessing),
  },
  {
    description: "The model to serve: exactly one of trainingJobRef, trainingSearchRef or uri.",
    rules: [
      {
        rule: "(has(self.trainingJobRef) ? 1 : 0) + (has(self.trainingSearchRef) ? 1 : 0) + (has(self.uri) ? 1 : 0) == 1",
        message: "set exactly one of model.trainingJobRef, model.trainingSearchRef or model.uri",
      },
      {
        rule: "!has(self.savedModel) || self.format == 'tf-savedmodel'",
        message: "model.savedModel is only for format tf-savedmodel",
      },
      {
        // A folder cannot be listed over http(s) (s3:// can: the runtime downloads the folder), and a TrainingJob writes a TF.js model.
        rule: "self.format != 'tf-savedmodel' || (has(self.uri) && (self.uri.startsWith('pvc://') || self.uri.startsWith('s3://')))",
        message:
          "format tf-savedmodel takes model.uri pvc://<claim>/<SavedModel folder> or s3://<bucket>/<SavedModel folder>",
      },
      {
        rule: "!has(self.llm) || self.format == 'gguf'",
        message: "model.llm applies only to format gguf",
      },
    ],
  },
);

/** One direction of the HorizontalPodAutoscaler's behavior (autoscaling/v2 HPAScalingRules), passed through. */
const ScalingRules = (direction: "up" | "down") =>
  Obj(
    {
      stabilizationWindowSeconds: Type.Optional(
        Type.Integer({
          description: `Seconds of past recommendations the HPA considers before scaling ${direction} (the highest for down, the lowest for up). Kubernetes' default: ${direction === "down" ? "300" : "0"}.`,
          minimum: 0,
          maximum: 3600,
        }),
      ),
      selectPolicy: Type.Optional(
        StringEnum(["Max", "Min", "Disabled"] as const, {
          description: `Which policy applies when several do: Max (the largest change), Min, or Disabled (never scale ${direction}).`,
        }),
      ),
      policies: Type.Optional(
        Type.Array(
          Obj(
            {
              type: StringEnum(["Pods", "Percent"] as const, {
                description: "Pods: a number of pods; Percent: a percentage of the current replicas.",
              }),
              value: Type.Integer({ description: "How many pods, or what percent, per period.", minimum: 1 }),
              periodSeconds: Type.Integer({
                description: "The window the value applies over, in seconds.",
                minimum: 1,
                maximum: 1800,
              }),
            },
            { description: `At most value pods (or percent) scaled ${direction} per periodSeconds.` },
          ),
          { description: `How fast the replica count may go ${direction}.`, maxItems: 10 },
        ),
      ),
    },
    { description: `Scaling ${direction}: the HPA's own HPAScalingRules.` },
  );

/** scaleToZero's defaults: the operator applies them when minReplicas is 0 and scaleToZero is omitted. */
export const SCALE_TO_ZERO_DEFAULTS = { idleSeconds: 300, activationTimeoutSeconds: 60, queueLimit: 100 } as const;

const ScaleToZero = Obj(
  {
    idleSeconds: Type.Integer({
      description:
        "Scale to zero after this many seconds without a request in the window (KEDA's cooldownPeriod after the last active poll).",
      minimum: 1,
      maximum: 86400,
      default: SCALE_TO_ZERO_DEFAULTS.idleSeconds,
    }),
    activationTimeoutSeconds: Type.Integer({
      description:
        "How long the activator holds a request while a pod starts; then it answers 503 with Retry-After and why.",
      minimum: 1,
      maximum: 600,
      default: SCALE_TO_ZERO_DEFAULTS.activationTimeoutSeconds,
    }),
    queueLimit: Type.Integer({
      description: "Requests the activator holds for this ModelDeployment while activating; more get 503 at once.",
      minimum: 1,
      maximum: 10000,
      default: SCALE_TO_ZERO_DEFAULTS.queueLimit,
    }),
  },
  { description: "Scale to zero (only with minReplicas 0): when to go to zero, and how requests wait for a pod." },
);

const Autoscaling = Obj(
  {
    minReplicas: Type.Integer({
      description:
        "Fewest replicas. 0 scales to zero when idle (needs metric concurrency and KEDA; the operator's activator holds the first request).",
      minimum: 0,
      maximum: 1000,
      default: 1,
    }),
    maxReplicas: Type.Integer({ description: "Most replicas.", minimum: 1, maximum: 1000 }),
    metric: StringEnum(["concurrency", "cpu"] as const, {
      description: "What drives scaling: requests in flight per pod (averaged over windowSeconds), or CPU utilisation.",
      default: "concurrency",
    }),
    target: Type.Integer({
      description: "Target per pod: concurrent requests (concurrency) or percent of requested CPU (cpu).",
      minimum: 1,
      maximum: 1000,
      default: 10,
    }),
    windowSeconds: Type.Integer({
      description:
        "How long concurrency is averaged over, in seconds (the KEDA query's rate window; metric concurrency).",
      minimum: 5,
      maximum: 600,
      default: 30,
    }),
    behavior: Type.Optional(
      Obj(
        { scaleUp: Type.Optional(ScalingRules("up")), scaleDown: Type.Optional(ScalingRules("down")) },
        {
          description:
            "How fast the HorizontalPodAutoscaler scales (autoscaling/v2 behavior, passed through): stabilisation windows and policies.",
        },
      ),
    ),
    scaleToZero: Type.Optional(ScaleToZero),
  },
  {
    description:
      "Scale replicas with load: KEDA's ScaledObject (metric concurrency, when KEDA is installed) or a HorizontalPodAutoscaler.",
    rules: [
      {
        rule: "self.minReplicas <= self.maxReplicas",
        message: "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas",
      },
      {
        rule: "self.metric != 'cpu' || self.target <= 100",
        message: "autoscaling.target is a CPU percentage with metric cpu: use 1 to 100",
      },
      {
        rule: "self.minReplicas > 0 || self.metric == 'concurrency'",
        message:
          "autoscaling.minReplicas 0 (scale to zero) needs metric concurrency: CPU use cannot wake a model with no pods",
      },
      {
        rule: "!has(self.scaleToZero) || self.minReplicas == 0",
        message: "autoscaling.scaleToZero applies only with minReplicas 0: set minReplicas to 0 or remove scaleToZero",
      },
    ],
  },
);

const Batching = Obj(
  {
    maxBatchSize: Type.Integer({
      description: "Most requests merged into one model call.",
      minimum: 1,
      maximum: 1024,
      default: 32,
    }),
    maxLatencyMs: Type.Integer({
      description: "Longest a request waits for others to join its batch, in milliseconds.",
      minimum: 0,
      maximum: 10000,
      default: 5,
    }),
  },
  { description: "Dynamic batching of concurrent requests (off when omitted)." },
);

const Canary = Obj(
  {
    model: Type.Optional(ModelSource),
    trafficPercent: Type.Integer({
      description: "Percent of requests sent to the canary model (0 to 100).",
      minimum: 0,
      maximum: 100,
    }),
    replicas: Type.Optional(
      Type.Integer({
        description: "Canary replicas; derived from trafficPercent when omitted.",
        minimum: 0,
        maximum: 1000,
      }),
    ),
  },
  {
    description: "A second model that receives a share of the traffic. Promote it by moving it into spec.model.",
    rules: [
      {
        rule: "has(self.model)",
        message: "canary.trafficPercent needs canary.model: the model that receives the traffic",
      },
    ],
  },
);

const Gateway = Obj(
  {
    parentRef: Obj(
      {
        name: ObjectName({ description: "Name of the Gateway." }),
        namespace: Type.Optional(ObjectName({ description: "Namespace of the Gateway (this one when omitted)." })),
        sectionName: Type.Optional(
          Type.String({ description: "Listener of the Gateway to attach to.", maxLength: 253 }),
        ),
      },
      { description: "The Gateway API Gateway that routes traffic to this model." },
    ),
    hostnames: Type.Optional(
      Type.Array(Type.String({ description: "A hostname.", maxLength: 253 }), {
        description: "Hostnames the HTTPRoute matches.",
        maxItems: 16,
      }),
    ),
  },
  { description: "Expose through a Gateway API HTTPRoute (exact canary traffic weights)." },
);

const Monitoring = Obj(
  {
    drift: Type.Optional(
      Obj(
        {
          baselineDataSetRef: Type.Optional(
            Obj(
              { name: LocalObjectReference.properties.name },
              { description: "DataSet whose statistics are the baseline." },
            ),
          ),
          threshold: Type.Number({
            description:
              "Population-stability index above which a feature counts as drifted (0.1 is usually read as moderate, 0.25 as significant).",
            minimum: 0,
            maximum: 10,
            default: 0.2,
          }),
        },
        {
          description:
            "Compare inputs and predictions with the training data's statistics (the model artifact's stats.json, or baselineDataSetRef's).",
        },
      ),
    ),
    feedback: Type.Boolean({
      description: "Accept ground truth on :feedback to measure live accuracy.",
      default: SERVING_DEFAULTS.feedback,
    }),
    windowSeconds: Type.Integer({
      description: "Sliding window of the drift counts and feedback figures, in seconds.",
      minimum: 10,
      maximum: 86400,
      default: SERVING_DEFAULTS.monitoringWindowSeconds,
    }),
    alerts: Type.Optional(
      Obj(
        {
          p99LatencyMs: Type.Optional(
            Type.Integer({ description: "Alert when p99 latency exceeds this.", minimum: 1 }),
          ),
          errorRatePercent: Type.Optional(
            Type.Number({ description: "Alert when the error rate exceeds this percent.", minimum: 0, maximum: 100 }),
          ),
          minAccuracy: Type.Optional(
            Type.Number({
              description: "Alert, and set Degraded, when live accuracy from feedback falls below this.",
              minimum: 0,
              maximum: 1,
            }),
          ),
          minF1: Type.Optional(
            Type.Number({
              description: "Alert, and set Degraded, when live macro-F1 from feedback falls below this.",
              minimum: 0,
              maximum: 1,
            }),
          ),
        },
        { description: "Thresholds for alerts." },
      ),
    ),
  },
  { description: "Model-quality and service monitoring." },
);

const Score = (description: string) => Type.Number({ description });

const MonitoringStatus = Obj(
  {
    windowSeconds: Type.Integer({ description: "Sliding window the figures cover, in seconds.", minimum: 0 }),
    pods: Type.Integer({ description: "Ready pods whose counts were merged.", minimum: 0 }),
    rows: Type.Integer({
      description: "Rows inferred in the window, over all merged pods.",
      minimum: 0,
      format: "int64",
    }),
    drift: Type.Optional(
      Obj(
        {
          score: Score("Largest PSI of any feature or of the prediction (the DRIFT column)."),
          features: Type.Array(
            Obj(
              {
                name: Type.String({
                  description: "Input column, or the target column for the prediction.",
                  maxLength: 253,
                }),
                source: StringEnum(["input", "prediction"] as const, {
                  description: "An input feature or the prediction.",
                }),
                psi: Score("Population-stability index against the baseline."),
                jensenShannon: Score("Jensen-Shannon distance (base 2, 0 to 1) against the baseline."),
              },
              { description: "One feature's drift scores." },
            ),
            { description: "The most drifted features, highest PSI first (at most 5).", maxItems: 5 },
          ),
          unmatched: Type.Optional(
            Type.Array(Type.String({ description: "A column name.", maxLength: 253 }), {
              description: "Input columns without baseline statistics (not scored).",
              maxItems: 32,
            }),
          ),
        },
        { description: "Input and prediction drift against the baseline." },
      ),
    ),
    quality: Type.Optional(
      Obj(
        {
          feedback: Type.Integer({ description: "Feedback matched in the window.", minimum: 0, format: "int64" }),
          accuracy: Type.Optional(Score("Live accuracy (the ACCURACY column).")),
          macroF1: Type.Optional(Score("Live macro-F1.")),
          minRecall: Type.Optional(Score("Lowest per-class recall.")),
          mae: Type.Optional(Score("Live mean absolute error (regression).")),
          rmse: Type.Optional(Score("Live root-mean-square error (regression).")),
          test: Type.Optional(
            NumberMap({ description: "The TrainingJob's test-split metrics, to compare the live figures with." }),
          ),
        },
        { description: "Live model quality from feedback." },
      ),
    ),
  },
  { description: "Drift and live quality, merged from the ready pods every monitoring period." },
);

/** What the serving pods record of their traffic (docs/modeldeployment.md, "Capture"; runtime/src/serve/capture/). */
const Capture = Obj(
  {
    uri: Type.String({
      description:
        "Root of the capture: pvc://<claim>/<path> (the pods mount the claim read-write) or s3://<bucket>/<prefix> (reached with spec.storage, like the model). Each pod writes below <root>/<pod name>/.",
      minLength: 1,
      maxLength: 2048,
      pattern: "^(pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?/[^\\s]+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?)$",
    }),
    dataSetRef: Type.Optional(
      Obj(
        { name: LocalObjectReference.properties.name },
        {
          description:
            "The DataSet whose schema (columns, target, pii) the captured rows follow. Default: the DataSet of model.trainingJobRef's TrainingJob (model.trainingSearchRef: its best trial's); required for a model.uri.",
        },
      ),
    ),
    sampleRate: Type.Number({
      description: "Fraction of requests whose rows are kept (0 < x <= 1; seeded per pod).",
      exclusiveMinimum: 0,
      maximum: 1,
      default: CAPTURE_DEFAULTS.sampleRate,
    }),
    maxBytes: Quantity({
      description: "Most bytes of versions per pod folder; the oldest are deleted beyond it (at least 1Mi).",
      default: "1Gi",
    }),
    retentionHours: Type.Integer({
      description: "Versions older than this are deleted (by any pod of this ModelDeployment).",
      minimum: 1,
      maximum: 8784,
      default: CAPTURE_DEFAULTS.retentionHours,
    }),
    labelWaitSeconds: Type.Integer({
      description:
        "How long a row waits in memory for its feedback label (monitoring.feedback) before it is written unlabelled.",
      minimum: 0,
      maximum: 86400,
      default: CAPTURE_DEFAULTS.labelWaitSeconds,
    }),
    flushSeconds: Type.Integer({
      description: "A version is written at least this often while rows are waiting (and at 10,000 rows).",
      minimum: 1,
      maximum: 86400,
      default: CAPTURE_DEFAULTS.flushSeconds,
    }),
    encryption: Type.Optional(
      Obj(
        {
          transitKey: Type.String({
            description: "Vault transit key that wraps each version's data key.",
            minLength: 1,
            maxLength: 128,
            pattern: "^[A-Za-z0-9_-]+$",
          }),
        },
        {
          description:
            "Envelope encryption of the versions. Default: the DataSet's spec.encryption. The serving pods' Vault role needs transit/datakey/wrapped/<key> and transit/decrypt/<key>.",
        },
      ),
    ),
  },
  {
    description:
      "Record sampled raw requests, their predictions and feedback labels as Parquet versions a DataSet can read (source.captured). Models that take raw records only (trained by a TrainingJob).",
  },
);

export const ModelDeploymentSpec = Obj(
  {
    model: ModelSource,
    storage: Type.Optional(ObjectStorage),
    replicas: Type.Optional(
      Type.Integer({
        description: "Number of serving pods (1 when omitted). Not allowed with autoscaling.",
        minimum: 0,
        maximum: 1000,
      }),
    ),
    autoscaling: Type.Optional(Autoscaling),
    resources: Type.Optional(ComputeResources),
    ...Scheduling,
    batching: Type.Optional(Batching),
    canary: Type.Optional(Canary),
    gateway: Type.Optional(Gateway),
    auth: Type.Optional(
      Obj(
        {
          apiKeys: VaultSecretRef,
          vaultRole: Type.Optional(
            Type.String({
              description:
                "Vault Kubernetes-auth role the serving pods log in with (bound to service account <name>-runtime in this namespace, audience vault). Default: liftoff-<namespace>-<name>.",
              minLength: 1,
              maxLength: 128,
              pattern: "^[A-Za-z0-9_.-]+$",
            }),
          ),
          refreshSeconds: Type.Optional(
            Type.Integer({
              description:
                "How often serving pods re-read the keys from Vault: a rotated key is accepted within this time.",
              minimum: 1,
              maximum: 3600,
              default: SERVING_DEFAULTS.authRefreshSeconds,
            }),
          ),
          graceSeconds: Type.Optional(
            Type.Integer({
              description: "How long a replaced key stays valid after a pod has seen its replacement.",
              minimum: 0,
              maximum: 86400,
              default: SERVING_DEFAULTS.authGraceSeconds,
            }),
          ),
        },
        {
          description:
            "Require a bearer API key. The keys are read from Vault by the serving pods (the operator passes only the path): the value under apiKeys.key holds this model's keys (one per line or comma-separated); other keys of the same secret are other models' keys, refused like an unknown key (401).",
        },
      ),
    ),
    monitoring: Type.Optional(Monitoring),
    retrain: Type.Optional(Retrain),
    capture: Type.Optional(Capture),
    networkPolicy: Type.Optional(
      Obj(
        {
          allowedNamespaces: Type.Array(Type.String({ description: "A namespace name.", maxLength: 63 }), {
            description: "Namespaces whose pods may call the model (this one is always allowed).",
            maxItems: 64,
          }),
        },
        { description: "Restrict who may reach the serving pods with a NetworkPolicy." },
      ),
    ),
  },
  {
    description: "Desired state of a ModelDeployment.",
    rules: [
      {
        rule:
          "!has(self.model.llm) || self.model.llm.gpuLayers == 0 || " +
          "(has(self.resources) && has(self.resources.gpu) && self.resources.gpu > 0)",
        message: "model.llm.gpuLayers offloads to a GPU: request one in resources.gpu, or set gpuLayers to 0",
      },
      {
        // The canary's pods get the same resources as the stable ones, so the same check applies to its model.
        rule:
          "!has(self.canary) || !has(self.canary.model) || !has(self.canary.model.llm) || " +
          "self.canary.model.llm.gpuLayers == 0 || " +
          "(has(self.resources) && has(self.resources.gpu) && self.resources.gpu > 0)",
        message: "canary.model.llm.gpuLayers offloads to a GPU: request one in resources.gpu, or set gpuLayers to 0",
      },
      {
        rule: "!(has(self.replicas) && has(self.autoscaling))",
        message:
          "set either replicas or autoscaling, not both: with autoscaling the HorizontalPodAutoscaler owns the replica count",
      },
      {
        rule: "!has(self.autoscaling) || self.autoscaling.minReplicas > 0 || !has(self.canary) || !has(self.canary.replicas)",
        message:
          "canary.replicas cannot be set with autoscaling.minReplicas 0: the canary scales with its own traffic, to zero too",
      },
      {
        // CEL cannot compare the two model objects (distinct schema types), so compare what identifies a model.
        rule:
          "!has(self.canary) || !has(self.canary.model) || " +
          "((!has(self.canary.model.uri) || !has(self.model.uri) || self.canary.model.uri != self.model.uri) && " +
          "(!has(self.canary.model.trainingJobRef) || !has(self.model.trainingJobRef) || " +
          "self.canary.model.trainingJobRef.name != self.model.trainingJobRef.name) && " +
          "(!has(self.canary.model.trainingSearchRef) || !has(self.model.trainingSearchRef) || " +
          "self.canary.model.trainingSearchRef.name != self.model.trainingSearchRef.name))",
        message: "canary.model is the same as model; point the canary at the new model",
      },
      RETRAIN_TEMPLATE_RULE,
      {
        // A search's best trial is a TrainingJob too: its DataSet is the default.
        rule: "!has(self.capture) || has(self.capture.dataSetRef) || has(self.model.trainingJobRef) || has(self.model.trainingSearchRef)",
        message:
          "capture.dataSetRef is required when model.uri is set: the captured rows take the columns of that DataSet's schema",
      },
      {
        rule: "!has(self.capture) || !has(self.model.format) || self.model.format != 'gguf'",
        message: "capture records tabular raw records; a gguf model has none",
      },
      {
        rule: "!has(self.capture) || (!has(self.model.preprocessing) && !has(self.model.postprocessing))",
        message: "capture records tabular raw records; a model with preprocessing (files in) has none",
      },
    ],
  },
);

/** What the autoscaler of the stable track shows (docs/modeldeployment.md, "Autoscaling"). */
const AutoscalingStatus = Obj(
  {
    engine: StringEnum(["keda", "hpa"] as const, {
      description: "keda: a KEDA ScaledObject (its HPA keda-hpa-<name>-predictor); hpa: the operator's own HPA.",
    }),
    currentReplicas: Type.Integer({ description: "Replicas the autoscaler last saw.", minimum: 0 }),
    desiredReplicas: Type.Integer({ description: "Replicas the autoscaler asks for.", minimum: 0 }),
    metric: StringEnum(["concurrency", "cpu"] as const, { description: "The metric that drives scaling." }),
    current: Type.Optional(
      Type.String({
        description: "The metric's current value per pod (requests in flight, or CPU percent), as the HPA reads it.",
        maxLength: 32,
      }),
    ),
    target: Type.Integer({ description: "The target per pod (spec.autoscaling.target).", minimum: 0 }),
    summary: Type.String({
      description:
        "What the SCALE column shows: current/desired replicas and the metric against its target (2/3 conc 7.5/10), or 0/0 idle.",
      maxLength: 64,
    }),
    lastScaleTime: Type.Optional(
      Type.String({ description: "When the autoscaler last changed the replica count.", format: "date-time" }),
    ),
    activeSince: Type.Optional(
      Type.String({
        description: "Scale to zero: since when the ScaledObject has been active (a request in the window).",
        format: "date-time",
      }),
    ),
  },
  { description: "The stable track's autoscaler: replicas and the metric it scales on." },
);

/** A gguf model's throughput, from the last minute of tokens its stable pods push (docs/monitoring.md). */
const LlmStatus = Obj(
  {
    tokensPerSecond: Type.Number({
      description: "Generated tokens per second over the last minute, summed over the pods (the TOKENS/S column).",
      minimum: 0,
    }),
    promptTokensPerSecond: Type.Number({
      description: "Prompt tokens evaluated per second over the last minute, summed over the pods.",
      minimum: 0,
    }),
    pods: Type.Integer({ description: "Ready stable pods whose counts were summed.", minimum: 0 }),
  },
  { description: "A language model's throughput (format gguf)." },
);

export const ModelDeploymentStatus = Obj(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(Conditions),
    url: Type.Optional(Type.String({ description: "In-cluster URL of the inference endpoint.", maxLength: 2048 })),
    replicas: Type.Optional(Type.Integer({ description: "Serving pods of the current model.", minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ description: "Serving pods that are ready.", minimum: 0 })),
    selector: Type.Optional(
      Type.String({ description: "Label selector of the serving pods (scale subresource).", maxLength: 1024 }),
    ),
    model: Type.Optional(
      Obj(
        {
          name: Type.String({ description: "Name the model is served under.", maxLength: 253 }),
          uri: Type.String({ description: "Where the served model comes from.", maxLength: 2048 }),
          digest: Type.Optional(Type.String({ description: "sha256 of the served artifact.", maxLength: 71 })),
          summary: Type.Optional(
            Type.String({
              description:
                "What the MODEL column shows: the TrainingJob's name (a search: search <name> → trial <trial>), else the short digest (sha256:<12 hex>), else the URI's end.",
              maxLength: 64,
            }),
          ),
        },
        { description: "The model being served." },
      ),
    ),
    canary: Type.Optional(
      Obj(
        {
          uri: Type.String({ description: "Where the canary model comes from.", maxLength: 2048 }),
          trafficPercent: Type.Integer({
            description: "Share of requests the canary receives.",
            minimum: 0,
            maximum: 100,
          }),
          readyReplicas: Type.Integer({ description: "Canary pods that are ready.", minimum: 0 }),
          trafficSplit: StringEnum(["HTTPRoute", "ReplicaRatio"] as const, {
            description: "How traffic is divided: exactly by HTTPRoute weights, or approximately by replica counts.",
          }),
        },
        { description: "State of the canary." },
      ),
    ),
    autoscaling: Type.Optional(AutoscalingStatus),
    monitoring: Type.Optional(MonitoringStatus),
    llm: Type.Optional(LlmStatus),
    loop: Type.Optional(LoopStatus),
    lastFailure: Type.Optional(
      Obj(
        {
          reason: Type.String({ description: "Reason reported by the pod, e.g. CrashLoopBackOff.", maxLength: 1024 }),
          message: Type.String({ description: "Message reported by the pod.", maxLength: 32768 }),
          exitCode: Type.Optional(Type.Integer({ description: "Exit code of the failed container." })),
          pod: Type.Optional(Type.String({ description: "Name of the pod.", maxLength: 253 })),
        },
        { description: "The latest pod failure." },
      ),
    ),
  },
  { description: "Observed state of a ModelDeployment." },
);

export type ModelDeploymentSpec = Static<typeof ModelDeploymentSpec>;
export type ModelDeploymentStatus = Static<typeof ModelDeploymentStatus>;
