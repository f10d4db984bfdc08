// Invalid manifests the API server must reject, with the field and message it must name.
// test/integration/validation.test.ts sends each one to a real API server; `npm run gen` renders docs/validation.md.

export type Kind = "DataSet" | "TrainingJob" | "ModelDeployment" | "TrainingSearch";
// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML trees
type Manifest = Record<string, any>;

export interface InvalidCase {
  kind: Kind;
  what: string;
  /** "create": the mutated sample is created; "update": the sample is created, then replaced by the mutated one. */
  on: "create" | "update";
  mutate(m: Manifest): void;
  /** The field path the API server names in its message. */
  field: string;
  /** Text the API server's message must contain. */
  message: string;
}

export const INVALID_CASES: InvalidCase[] = [
  // DataSet
  {
    kind: "DataSet",
    what: "a pii column with no hashPII or dropColumns step",
    on: "create",
    mutate: (m) => {
      m.spec.transforms = [{ type: "dropNA" }];
    },
    field: "spec",
    message: "columns are marked pii but no hashPII or dropColumns step protects them; add one",
  },
  {
    kind: "DataSet",
    what: "a privacy.subjectKey that is not a string, integer or category column",
    on: "create",
    mutate: (m) => {
      m.spec.privacy = { subjectKey: "monthly_spend", saltSecret: { path: "secret/data/ml/privacy", key: "salt" } };
    },
    field: "spec",
    message: "privacy.subjectKey must name a string, integer or category column of schema.columns",
  },
  {
    kind: "DataSet",
    what: "privacy without saltSecret on a column no hashPII step names",
    on: "create",
    mutate: (m) => {
      m.spec.privacy = { subjectKey: "plan" };
    },
    field: "spec",
    message: "privacy needs saltSecret (the HMAC key of the subject index) unless a hashPII step names",
  },
  {
    kind: "DataSet",
    what: "two data sources",
    on: "create",
    mutate: (m) => {
      m.spec.source.inline = { data: "a,b\n1,2\n" };
    },
    field: "spec.source",
    message: "set exactly one data source: http, pvc, inline, postgres or s3",
  },
  {
    kind: "DataSet",
    what: "no data source",
    on: "create",
    mutate: (m) => {
      m.spec.source = {};
    },
    field: "spec.source",
    message: "set exactly one data source: http, pvc, inline, postgres or s3",
  },
  {
    kind: "DataSet",
    what: "captured traffic with two other sources",
    on: "create",
    mutate: (m) => {
      m.spec.source.inline = { data: "a,b\n1,2\n" };
      m.spec.source.captured = { modelDeploymentRef: { name: "churn" } };
    },
    field: "spec.source",
    message: "captured merges with at most one other source: keep one of http, pvc, inline, postgres or s3 beside it",
  },
  {
    kind: "DataSet",
    what: "captured traffic without the ModelDeployment that captured it",
    on: "create",
    mutate: (m) => {
      m.spec.source.captured = { maxAgeHours: 24 };
    },
    field: "spec.source.captured.modelDeploymentRef",
    message: "Required value",
  },
  {
    kind: "DataSet",
    what: "captured traffic of the last 0 hours",
    on: "create",
    mutate: (m) => {
      m.spec.source.captured = { modelDeploymentRef: { name: "churn" }, maxAgeHours: 0 };
    },
    field: "spec.source.captured.maxAgeHours",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "DataSet",
    what: "split fractions sum to 1.2",
    on: "create",
    mutate: (m) => {
      m.spec.split = { train: 0.8, validation: 0.2, test: 0.2 };
    },
    field: "spec.split",
    message: "split fractions train + validation + test must sum to 1",
  },
  {
    kind: "DataSet",
    what: "target is not a column",
    on: "create",
    mutate: (m) => {
      m.spec.schema.target = "revenue";
    },
    field: "spec.schema",
    message: "target must name one of schema.columns",
  },
  {
    kind: "DataSet",
    what: "a column named like one prepare adds itself (__row)",
    on: "create",
    mutate: (m) => {
      m.spec.schema.columns.push({ name: "__row", type: "integer" });
    },
    field: "spec.schema",
    message: 'column names starting with "__" are reserved for prepare\'s own columns',
  },
  {
    kind: "DataSet",
    what: "two columns with the same name",
    on: "create",
    mutate: (m) => {
      m.spec.schema.columns.push({ name: "plan", type: "string" });
    },
    field: "spec.schema.columns[6]",
    message: "Duplicate value",
  },
  {
    kind: "DataSet",
    what: "fillNA without a value",
    on: "create",
    mutate: (m) => {
      m.spec.transforms.push({ type: "fillNA", columns: ["plan"] });
    },
    field: "spec.transforms[4]",
    message: "fillNA needs value: the replacement for missing values",
  },
  {
    kind: "DataSet",
    what: "hashPII without a salt",
    on: "create",
    mutate: (m) => {
      delete m.spec.transforms[0].saltSecret;
    },
    field: "spec.transforms[0]",
    message: "hashPII needs saltSecret: a Vault reference to the salt",
  },
  {
    kind: "DataSet",
    what: "unknown format",
    on: "create",
    mutate: (m) => {
      m.spec.format = "xml";
    },
    field: "spec.format",
    message: 'Unsupported value: "xml"',
  },
  {
    kind: "DataSet",
    what: "ftp:// source URL",
    on: "create",
    mutate: (m) => {
      m.spec.source.http.url = "ftp://data.example.com/x.csv";
    },
    field: "spec.source.http.url",
    message: "should match '^https?://",
  },
  {
    kind: "DataSet",
    what: "output path escapes the volume",
    on: "create",
    mutate: (m) => {
      m.spec.output.path = "datasets/../../etc";
    },
    field: "spec.output.path",
    message: "path must not contain '..' segments",
  },
  {
    kind: "DataSet",
    what: "output moved after creation",
    on: "update",
    mutate: (m) => {
      m.spec.output.path = "datasets/elsewhere";
    },
    field: "spec.output",
    message: "output is immutable; create a new DataSet to write elsewhere",
  },
  {
    kind: "DataSet",
    what: "retention.keepLast together with a non-default retainVersions",
    on: "create",
    mutate: (m) => {
      m.spec.retainVersions = 5;
      m.spec.retention = { keepLast: 2 };
    },
    field: "spec",
    message: "set retention.keepLast or retainVersions, not both (retention.keepLast replaces retainVersions)",
  },
  {
    kind: "DataSet",
    what: "an empty retention",
    on: "create",
    mutate: (m) => {
      m.spec.retention = {};
    },
    field: "spec.retention",
    message: "retention needs keepLast, maxAge or both",
  },
  {
    kind: "DataSet",
    what: "a retention.maxAge that is not a duration",
    on: "create",
    mutate: (m) => {
      m.spec.retention = { maxAge: "30 days" };
    },
    field: "spec.retention.maxAge",
    message: "should match '^[1-9][0-9]{0,5}(s|m|h|d)$'",
  },
  {
    kind: "DataSet",
    what: "a gs:// source (only s3:// object storage is read)",
    on: "create",
    mutate: (m) => {
      m.spec.source = { s3: { uri: "gs://penguins/penguins.csv" } };
    },
    field: "spec.source.s3.uri",
    message: "source.s3.uri must be an s3:// URI, s3://<bucket>/<key>",
  },
  {
    kind: "DataSet",
    what: "an s3 source naming a bucket but no key",
    on: "create",
    mutate: (m) => {
      m.spec.source = { s3: { uri: "s3://penguins" } };
    },
    field: "spec.source.s3.uri",
    message: "source.s3.uri must be an s3:// URI, s3://<bucket>/<key>",
  },
  {
    kind: "DataSet",
    what: "an output with both a uri and a claim",
    on: "create",
    mutate: (m) => {
      m.spec.output.uri = "s3://liftoff/datasets/churn";
    },
    field: "spec.output",
    message: "set output.uri (s3://bucket/prefix) or both output.claimName and output.path, not both",
  },
  {
    kind: "DataSet",
    what: "an https:// output uri",
    on: "create",
    mutate: (m) => {
      m.spec.output = { uri: "https://bucket.example.com/datasets" };
    },
    field: "spec.output.uri",
    message: "output.uri must be an s3:// URI, s3://<bucket>/<prefix>",
  },
  {
    kind: "DataSet",
    what: "storage credentials from both Vault KV and Vault's AWS engine",
    on: "create",
    mutate: (m) => {
      m.spec.output = { uri: "s3://liftoff/datasets/churn" };
      m.spec.storage = { credentials: { vaultKV: { path: "secret/data/s3" }, vaultAWS: { path: "aws/creds/x" } } };
    },
    field: "spec.storage.credentials",
    message: "set exactly one of vaultKV or vaultAWS",
  },
  {
    kind: "DataSet",
    what: "output moved from a claim to s3 after creation",
    on: "update",
    mutate: (m) => {
      m.spec.output = { uri: "s3://liftoff/datasets/churn" };
    },
    field: "spec.output",
    message: "output is immutable; create a new DataSet to write elsewhere",
  },
  // TrainingJob
  {
    kind: "TrainingJob",
    what: "zero epochs",
    on: "create",
    mutate: (m) => {
      m.spec.hyperparameters.epochs = 0;
    },
    field: "spec.hyperparameters.epochs",
    message: "epochs must be at least 1",
  },
  {
    kind: "TrainingJob",
    what: "both layers and a base model",
    on: "create",
    mutate: (m) => {
      m.spec.model.baseModel = { uri: "pvc://models/base/model.json" };
    },
    field: "spec.model",
    message: "set exactly one of model.layers or model.baseModel",
  },
  {
    kind: "TrainingJob",
    what: "an http(s) base model without a digest",
    on: "create",
    mutate: (m) => {
      delete m.spec.model.layers;
      m.spec.model.baseModel = { uri: "https://models.example.com/base/model.json" };
    },
    field: "spec.model.baseModel",
    message: "an http(s) baseModel needs digest: sha256:<64 hex> of the model",
  },
  {
    kind: "TrainingJob",
    what: "dense layer without units",
    on: "create",
    mutate: (m) => {
      delete m.spec.model.layers[0].units;
    },
    field: "spec.model.layers[0]",
    message: "a dense layer needs units",
  },
  {
    kind: "TrainingJob",
    what: "learning rate of zero",
    on: "create",
    mutate: (m) => {
      m.spec.hyperparameters.learningRate = 0;
    },
    field: "spec.hyperparameters.learningRate",
    message: "should be greater than 0",
  },
  {
    kind: "TrainingJob",
    what: "DP-SGD with both a noise multiplier and a target ε",
    on: "create",
    mutate: (m) => {
      m.spec.hyperparameters.privacy = { l2NormClip: 1, noiseMultiplier: 1.1, targetEpsilon: 3 };
    },
    field: "spec.hyperparameters.privacy",
    message: "set exactly one of privacy.noiseMultiplier or privacy.targetEpsilon",
  },
  {
    kind: "TrainingJob",
    what: "DP-SGD with a clipping norm of zero",
    on: "create",
    mutate: (m) => {
      m.spec.hyperparameters.privacy = { l2NormClip: 0, noiseMultiplier: 1.1 };
    },
    field: "spec.hyperparameters.privacy.l2NormClip",
    message: "should be greater than 0",
  },
  {
    kind: "TrainingJob",
    what: "DP-SGD on a convolution",
    on: "create",
    mutate: (m) => {
      m.spec.model.layers = [{ type: "conv1d", filters: 4, kernelSize: 2 }];
      m.spec.hyperparameters.privacy = { l2NormClip: 1, noiseMultiplier: 1.1 };
    },
    field: "spec",
    message: "hyperparameters.privacy (DP-SGD) needs model.layers of dense",
  },
  {
    kind: "TrainingJob",
    what: "classification loss on a regression task",
    on: "create",
    mutate: (m) => {
      m.spec.task = "regression";
      m.spec.hyperparameters.loss = "binaryCrossentropy";
    },
    field: "spec",
    message: "a regression task needs a regression loss: meanSquaredError, meanAbsoluteError or huberLoss",
  },
  {
    kind: "TrainingJob",
    what: "unknown optimizer",
    on: "create",
    mutate: (m) => {
      m.spec.hyperparameters.optimizer = "newton";
    },
    field: "spec.hyperparameters.optimizer",
    message: 'Unsupported value: "newton"',
  },
  {
    kind: "TrainingJob",
    what: "more GPUs than a pod may ask for",
    on: "create",
    mutate: (m) => {
      m.spec.resources.gpu = 17;
    },
    field: "spec.resources.gpu",
    message: "should be less than or equal to 16",
  },
  {
    kind: "TrainingJob",
    what: "memory that is not a quantity",
    on: "create",
    mutate: (m) => {
      m.spec.resources.memory = "lots";
    },
    field: "spec.resources.memory",
    message: "should match",
  },
  {
    kind: "TrainingJob",
    what: "DataSet changed after creation",
    on: "update",
    mutate: (m) => {
      m.spec.dataSetRef.name = "other";
    },
    field: "spec.dataSetRef",
    message: "dataSetRef is immutable; create a new TrainingJob to train on other data",
  },
  {
    kind: "TrainingJob",
    what: "hyperparameters changed after creation",
    on: "update",
    mutate: (m) => {
      m.spec.hyperparameters.epochs = 99;
    },
    field: "spec",
    message: "hyperparameters are immutable; create a new TrainingJob to try others",
  },
  {
    kind: "TrainingJob",
    what: "Vault role set after creation",
    on: "update",
    mutate: (m) => {
      m.spec.vaultRole = "someone-else";
    },
    field: "spec",
    message: "vaultRole is immutable; create a new TrainingJob to log in as another role",
  },
  {
    kind: "TrainingJob",
    what: "a gs:// output uri",
    on: "create",
    mutate: (m) => {
      m.spec.output = { uri: "gs://models/churn" };
    },
    field: "spec.output.uri",
    message: "output.uri must be an s3:// URI, s3://<bucket>/<prefix>",
  },
  {
    kind: "TrainingJob",
    what: "an output with a claim but no path",
    on: "create",
    mutate: (m) => {
      m.spec.output = { claimName: "models" };
    },
    field: "spec.output",
    message: "set output.uri (s3://bucket/prefix) or both output.claimName and output.path, not both",
  },
  {
    kind: "TrainingJob",
    what: "both a model and a pytorch script",
    on: "create",
    mutate: (m) => {
      m.spec.pytorch = { script: { path: "/opt/team/train.py" } };
    },
    field: "spec",
    message: "set model (a TensorFlow.js network Liftoff builds) or pytorch (your own script), exactly one",
  },
  {
    kind: "TrainingJob",
    what: "a pytorch script from both a ConfigMap and a path",
    on: "create",
    mutate: (m) => {
      delete m.spec.model;
      m.spec.pytorch = { script: { path: "/opt/team/train.py", configMap: { name: "s", key: "train.py" } } };
    },
    field: "spec.pytorch.script",
    message: "set pytorch.script.configMap (name and key) or pytorch.script.path, exactly one",
  },
  {
    kind: "TrainingJob",
    what: "a pytorch group of no workers",
    on: "create",
    mutate: (m) => {
      delete m.spec.model;
      m.spec.pytorch = { script: { path: "/opt/team/train.py" }, workers: 0 };
    },
    field: "spec.pytorch.workers",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "TrainingJob",
    what: "DP-SGD privacy on a pytorch script",
    on: "create",
    mutate: (m) => {
      delete m.spec.model;
      m.spec.pytorch = { script: { path: "/opt/team/train.py" } };
      m.spec.hyperparameters.privacy = { l2NormClip: 1, noiseMultiplier: 1 };
    },
    field: "spec",
    message:
      "hyperparameters.privacy (DP-SGD) applies to model; a pytorch script adds its own (Opacus, say) and reports its ε",
  },
  {
    kind: "TrainingJob",
    what: "a model swapped for a pytorch script after creation",
    on: "update",
    mutate: (m) => {
      delete m.spec.model;
      m.spec.pytorch = { script: { path: "/opt/team/other.py" } };
    },
    field: "spec",
    message: "pytorch is immutable; create a new TrainingJob to run another script",
  },
  // ModelDeployment
  {
    kind: "ModelDeployment",
    what: "unknown model format (torchscript is not served; export to onnx)",
    on: "create",
    mutate: (m) => {
      m.spec.model.format = "torchscript";
    },
    field: "spec.model.format",
    message: 'Unsupported value: "torchscript"',
  },
  {
    kind: "ModelDeployment",
    what: "replicas and autoscaling together",
    on: "create",
    mutate: (m) => {
      m.spec.replicas = 3;
    },
    field: "spec",
    message: "set either replicas or autoscaling, not both",
  },
  {
    kind: "ModelDeployment",
    what: "minReplicas above maxReplicas",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.minReplicas = 9;
    },
    field: "spec.autoscaling",
    message: "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas",
  },
  {
    kind: "ModelDeployment",
    what: "CPU target above 100 percent",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.metric = "cpu";
      m.spec.autoscaling.target = 150;
    },
    field: "spec.autoscaling",
    message: "autoscaling.target is a CPU percentage with metric cpu: use 1 to 100",
  },
  {
    kind: "ModelDeployment",
    what: "scale to zero on CPU",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.minReplicas = 0;
      m.spec.autoscaling.metric = "cpu";
      m.spec.autoscaling.target = 70;
    },
    field: "spec.autoscaling",
    message: "autoscaling.minReplicas 0 (scale to zero) needs metric concurrency",
  },
  {
    kind: "ModelDeployment",
    what: "scaleToZero without minReplicas 0",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.scaleToZero = { idleSeconds: 60 };
    },
    field: "spec.autoscaling",
    message: "autoscaling.scaleToZero applies only with minReplicas 0: set minReplicas to 0 or remove scaleToZero",
  },
  {
    kind: "ModelDeployment",
    what: "a scaling policy with a zero period",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.behavior = { scaleUp: { policies: [{ type: "Pods", value: 4, periodSeconds: 0 }] } };
    },
    field: "spec.autoscaling.behavior.scaleUp.policies[0].periodSeconds",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "ModelDeployment",
    what: "a fixed canary size with scale to zero",
    on: "create",
    mutate: (m) => {
      m.spec.autoscaling.minReplicas = 0;
      m.spec.canary = { model: { uri: "pvc://models/churn/v2/model.json" }, trafficPercent: 10, replicas: 1 };
    },
    field: "spec",
    message: "canary.replicas cannot be set with autoscaling.minReplicas 0",
  },
  {
    kind: "ModelDeployment",
    what: "both trainingJobRef and uri",
    on: "create",
    mutate: (m) => {
      m.spec.model.uri = "pvc://models/churn/model.json";
    },
    field: "spec.model",
    message: "set exactly one of model.trainingJobRef, model.trainingSearchRef or model.uri",
  },
  {
    kind: "ModelDeployment",
    what: "both trainingJobRef and trainingSearchRef",
    on: "create",
    mutate: (m) => {
      m.spec.model.trainingSearchRef = { name: "churn-search" };
    },
    field: "spec.model",
    message: "set exactly one of model.trainingJobRef, model.trainingSearchRef or model.uri",
  },
  {
    kind: "ModelDeployment",
    what: "a canary serving the same search as the stable",
    on: "create",
    mutate: (m) => {
      m.spec.model = { trainingSearchRef: { name: "churn-search" } };
      m.spec.canary = { model: { trainingSearchRef: { name: "churn-search" } }, trafficPercent: 10 };
    },
    field: "spec",
    message: "canary.model is the same as model; point the canary at the new model",
  },
  {
    kind: "ModelDeployment",
    what: "a canary model with both a trainingSearchRef and a uri",
    on: "create",
    mutate: (m) => {
      m.spec.canary = {
        model: { trainingSearchRef: { name: "churn-search" }, uri: "pvc://models/churn/v2/model.json" },
        trafficPercent: 10,
      };
    },
    field: "spec.canary.model",
    message: "set exactly one of model.trainingJobRef, model.trainingSearchRef or model.uri",
  },
  {
    kind: "ModelDeployment",
    what: "savedModel options on a model that is not a tf-savedmodel",
    on: "create",
    mutate: (m) => {
      m.spec.model = { uri: "pvc://models/churn/model.json", format: "tfjs-layers", savedModel: { signature: "x" } };
    },
    field: "spec.model",
    message: "model.savedModel is only for format tf-savedmodel",
  },
  {
    kind: "ModelDeployment",
    what: "a tf-savedmodel over http(s), which cannot list a folder",
    on: "create",
    mutate: (m) => {
      m.spec.model = { uri: "https://models.example/classifier/", format: "tf-savedmodel" };
    },
    field: "spec.model",
    message: "format tf-savedmodel takes model.uri pvc://<claim>/<SavedModel folder>",
  },
  {
    kind: "ModelDeployment",
    what: "llama.cpp settings on a model that is not gguf",
    on: "create",
    mutate: (m) => {
      m.spec.model.llm = { contextSize: 1024 };
    },
    field: "spec.model",
    message: "model.llm applies only to format gguf",
  },
  {
    kind: "ModelDeployment",
    what: "GPU layers without a GPU",
    on: "create",
    mutate: (m) => {
      delete m.spec.model.trainingJobRef;
      m.spec.model.uri = "pvc://models/smol/model.gguf";
      m.spec.model.format = "gguf";
      m.spec.model.llm = { gpuLayers: 30 };
      delete m.spec.resources.gpu;
    },
    field: "spec",
    message: "model.llm.gpuLayers offloads to a GPU: request one in resources.gpu, or set gpuLayers to 0",
  },
  {
    kind: "ModelDeployment",
    what: "GPU layers for a gguf canary without a GPU",
    on: "create",
    mutate: (m) => {
      delete m.spec.model.trainingJobRef;
      m.spec.model.uri = "pvc://models/smol/model.gguf";
      m.spec.model.format = "gguf";
      m.spec.canary = {
        model: { uri: "pvc://models/gemma/model.gguf", format: "gguf", llm: { gpuLayers: 18 } },
        trafficPercent: 10,
      };
      delete m.spec.resources.gpu;
    },
    field: "spec",
    message: "canary.model.llm.gpuLayers offloads to a GPU: request one in resources.gpu, or set gpuLayers to 0",
  },
  {
    kind: "ModelDeployment",
    what: "model URI with an unsupported scheme",
    on: "create",
    mutate: (m) => {
      m.spec.model = { uri: "gs://bucket/model.json" };
    },
    field: "spec.model.uri",
    message: "model URI must be pvc://<claim>/<path>, http(s)://<host>/<path> or s3://<bucket>/<key>",
  },
  {
    kind: "ModelDeployment",
    what: "s3 model URI without a key",
    on: "create",
    mutate: (m) => {
      m.spec.model = { uri: "s3://models" };
    },
    field: "spec.model.uri",
    message: "model URI must be pvc://<claim>/<path>, http(s)://<host>/<path> or s3://<bucket>/<key>",
  },
  {
    kind: "ModelDeployment",
    what: "canary model URI with an unsupported scheme",
    on: "create",
    mutate: (m) => {
      m.spec.canary = { model: { uri: "ftp://models.example/churn-v2/model.json" }, trafficPercent: 10 };
    },
    field: "spec.canary.model.uri",
    message: "other schemes are not read by the serving pods",
  },
  {
    kind: "ModelDeployment",
    what: "storage credentials from both vaultKV and vaultAWS",
    on: "create",
    mutate: (m) => {
      m.spec.storage = {
        endpoint: "http://seaweedfs.storage.svc:8333",
        credentials: { vaultKV: { path: "secret/data/team-a/s3" }, vaultAWS: { path: "aws/creds/reader" } },
      };
    },
    field: "spec.storage.credentials",
    message: "set exactly one of vaultKV or vaultAWS",
  },
  {
    kind: "ModelDeployment",
    what: "digest that is not sha256",
    on: "create",
    mutate: (m) => {
      m.spec.model.digest = "md5:abc";
    },
    field: "spec.model.digest",
    message: "should match '^sha256:[a-f0-9]{64}$'",
  },
  {
    kind: "ModelDeployment",
    what: "canary traffic above 100 percent",
    on: "create",
    mutate: (m) => {
      m.spec.canary = { model: { uri: "pvc://models/churn-v2/model.json" }, trafficPercent: 150 };
    },
    field: "spec.canary.trafficPercent",
    message: "should be less than or equal to 100",
  },
  {
    kind: "ModelDeployment",
    what: "canary traffic without a canary model",
    on: "create",
    mutate: (m) => {
      m.spec.canary = { trafficPercent: 10 };
    },
    field: "spec.canary",
    message: "canary.trafficPercent needs canary.model: the model that receives the traffic",
  },
  {
    kind: "ModelDeployment",
    what: "canary serving the same model",
    on: "create",
    mutate: (m) => {
      m.spec.canary = { model: { trainingJobRef: { name: "churn-mlp" } }, trafficPercent: 10 };
    },
    field: "spec",
    message: "canary.model is the same as model; point the canary at the new model",
  },
  {
    kind: "ModelDeployment",
    what: "negative replicas",
    on: "create",
    mutate: (m) => {
      delete m.spec.autoscaling;
      m.spec.replicas = -1;
    },
    field: "spec.replicas",
    message: "should be greater than or equal to 0",
  },
  {
    kind: "ModelDeployment",
    what: "two kinds of preprocessing",
    on: "create",
    mutate: (m) => {
      m.spec.model.preprocessing = {
        image: { width: 224, height: 224 },
        text: {
          tokenizer: { path: "tokenizer.json", digest: `sha256:${"0".repeat(64)}` },
          maxLength: 128,
          inputs: { ids: "input_ids" },
        },
      };
    },
    field: "spec.model.preprocessing",
    message: "set exactly one of preprocessing.image, preprocessing.audio or preprocessing.text",
  },
  {
    kind: "ModelDeployment",
    what: "audio framing whose context is longer than its frame",
    on: "create",
    mutate: (m) => {
      m.spec.model.preprocessing = {
        audio: { sampleRate: 16000, maxSeconds: 10, framing: { frame: 64, context: 512 } },
      };
    },
    field: "spec.model.preprocessing.audio.framing",
    message: "context must not exceed frame",
  },
  {
    kind: "ModelDeployment",
    what: "image resizeShorterTo without a centre crop",
    on: "create",
    mutate: (m) => {
      m.spec.model.preprocessing = { image: { width: 224, height: 224, crop: "none", resizeShorterTo: 256 } };
    },
    field: "spec.model.preprocessing.image",
    message: "resizeShorterTo needs crop: center",
  },
  {
    kind: "ModelDeployment",
    what: "image std of 0",
    on: "create",
    mutate: (m) => {
      m.spec.model.preprocessing = { image: { width: 224, height: 224, mean: [0, 0, 0], std: [1, 0, 1] } };
    },
    field: "spec.model.preprocessing.image",
    message: "std must not be 0",
  },
  {
    kind: "ModelDeployment",
    what: "a labels file outside the model's folder",
    on: "create",
    mutate: (m) => {
      m.spec.model.postprocessing = {
        topK: { k: 5, labels: { path: "../labels.txt", digest: `sha256:${"0".repeat(64)}` } },
      };
    },
    field: "spec.model.postprocessing.topK.labels",
    message: "path must not contain '..' or '.' segments",
  },
  {
    kind: "ModelDeployment",
    what: "a labels file without its digest",
    on: "create",
    mutate: (m) => {
      m.spec.model.postprocessing = { topK: { k: 5, labels: { path: "labels.txt" } } };
    },
    field: "spec.model.postprocessing.topK.labels.digest",
    message: "Required value",
  },
  {
    kind: "ModelDeployment",
    what: "a retrain policy with no TrainingJob to copy (model.uri and no retrain.trainingJob.from)",
    on: "create",
    mutate: (m) => {
      delete m.spec.model.trainingJobRef;
      m.spec.model.uri = "pvc://models/churn/model.json";
      m.spec.retrain = { triggers: { degraded: true } };
    },
    field: "spec",
    message: "retrain needs a TrainingJob to copy: set retrain.trainingJob.from",
  },
  {
    kind: "ModelDeployment",
    what: "a retrain canary with 100% of the traffic (nothing left to compare with)",
    on: "create",
    mutate: (m) => {
      m.spec.retrain = { canary: { trafficPercent: 100 } };
    },
    field: "spec.retrain.canary.trafficPercent",
    message: "should be less than or equal to 99",
  },
  {
    kind: "ModelDeployment",
    what: "a retrain canary with 0% of the traffic",
    on: "create",
    mutate: (m) => {
      m.spec.retrain = { canary: { trafficPercent: 0 } };
    },
    field: "spec.retrain.canary.trafficPercent",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "ModelDeployment",
    what: "a retrain budget of 0 loops a day",
    on: "create",
    mutate: (m) => {
      m.spec.retrain = { limits: { maxPerDay: 0 } };
    },
    field: "spec.retrain.limits.maxPerDay",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "ModelDeployment",
    what: "a drift trigger of 0 periods",
    on: "create",
    mutate: (m) => {
      m.spec.retrain = { triggers: { drifted: { periods: 0 } } };
    },
    field: "spec.retrain.triggers.drifted.periods",
    message: "should be greater than or equal to 1",
  },
  {
    kind: "ModelDeployment",
    what: "a canary ready timeout longer than its maximum duration",
    on: "create",
    mutate: (m) => {
      m.spec.retrain = { canary: { readyTimeoutSeconds: 900, maxDurationSeconds: 600 } };
    },
    field: "spec.retrain.canary",
    message: "retrain.canary.readyTimeoutSeconds must not exceed retrain.canary.maxDurationSeconds",
  },
  {
    kind: "ModelDeployment",
    what: "capture of a model.uri without capture.dataSetRef",
    on: "create",
    mutate: (m) => {
      m.spec.model = { uri: "pvc://models/churn/model.json" };
      m.spec.capture = { uri: "pvc://captures/churn" };
    },
    field: "spec",
    message: "capture.dataSetRef is required when model.uri is set",
  },
  {
    kind: "ModelDeployment",
    what: "a capture sample rate of 0",
    on: "create",
    mutate: (m) => {
      m.spec.capture = { uri: "pvc://captures/churn", sampleRate: 0 };
    },
    field: "spec.capture.sampleRate",
    message: "should be greater than 0",
  },
  // TrainingSearch
  {
    kind: "TrainingSearch",
    what: "parallelism above the trial budget",
    on: "create",
    mutate: (m) => {
      m.spec.maxTrials = 2;
      m.spec.parallelism = 4;
    },
    field: "spec.parallelism",
    message: "parallelism must not exceed maxTrials",
  },
  {
    kind: "TrainingSearch",
    what: "an objective metric the template does not report",
    on: "create",
    mutate: (m) => {
      m.spec.objective.metric = "val_precision";
    },
    field: "spec.objective.metric",
    message:
      "objective.metric must be val_loss or val_<m> for a metric m listed in template.spec.hyperparameters.metrics",
  },
  {
    kind: "TrainingSearch",
    what: "an empty search space",
    on: "create",
    mutate: (m) => {
      m.spec.parameters = [];
    },
    field: "spec.parameters",
    message: "should have at least 1 items",
  },
  {
    kind: "TrainingSearch",
    what: "a range whose min exceeds its max",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[0].float = { min: 0.1, max: 0.001, log: true };
    },
    field: "spec.parameters[0].float",
    message: "min must not exceed max",
  },
  {
    kind: "TrainingSearch",
    what: "a log range starting at 0",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[3].float = { min: 0, max: 0.5, log: true };
    },
    field: "spec.parameters[3].float",
    message: "log needs a range with min > 0",
  },
  {
    kind: "TrainingSearch",
    what: "a parameter of the wrong type for its path",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[1] = { name: "batchSize", path: "hyperparameters.batchSize", float: { min: 16, max: 64 } };
    },
    field: "spec.parameters[1]",
    message: "batchSize, epochs, a layer's units and filters take an int parameter",
  },
  {
    kind: "TrainingSearch",
    what: "an optimizer the trainer does not have",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[4].categorical.values = ["adam", "lbfgs"];
    },
    field: "spec.parameters[4]",
    message: "optimizer values must be among",
  },
  {
    kind: "TrainingSearch",
    what: "a layer parameter past the template's layers",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[2].path = "model.layers[7].units";
    },
    field: "spec.parameters",
    message: "a model.layers[N] parameter names a layer past the end of template.spec.model.layers",
  },
  {
    kind: "TrainingSearch",
    what: "two parameters setting the same path",
    on: "create",
    mutate: (m) => {
      m.spec.parameters[2].path = "model.layers[2].units";
      m.spec.parameters.push({ name: "units2", path: "model.layers[2].units", int: { min: 8, max: 32 } });
    },
    field: "spec.parameters",
    message: "two parameters set the same path",
  },
  {
    kind: "TrainingSearch",
    what: "a grid over a float range without step or values",
    on: "create",
    mutate: (m) => {
      m.spec.algorithm = { name: "grid", seed: 0 };
    },
    field: "spec.parameters",
    message: "a grid search needs step or values for every float parameter",
  },
  {
    kind: "TrainingSearch",
    what: "a changed template",
    on: "update",
    mutate: (m) => {
      m.spec.template.spec.hyperparameters.epochs = 40;
    },
    field: "spec",
    message: "template is immutable",
  },
];

/** The table in docs/validation.md. */
export function renderValidationDoc(): string {
  const rows = INVALID_CASES.map(
    (c, i) =>
      `| ${i + 1} | ${c.kind} | ${c.what}${c.on === "update" ? " (on update)" : ""} | \`${c.field}\` | ${c.message.replaceAll("|", "\\|")} |`,
  );
  return [
    "# What the API server rejects",
    "",
    "<!-- Generated by `npm run gen` from test/validation-cases.ts; do not edit. -->",
    "",
    "Liftoff's CRDs validate specs at `kubectl apply` time with OpenAPI schema rules and CEL",
    "(`x-kubernetes-validations`). Each row below starts from the matching sample in `config/samples/`,",
    "changes one thing, and is sent to a real kube-apiserver by `test/integration/validation.test.ts`,",
    "which checks that the request is refused (HTTP 422) with a message naming the field and containing the text shown.",
    "",
    "| # | Kind | What is wrong | Field named | Message contains |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
