// The operator↔runtime contract in both directions: every variable the operator puts in a pod it builds is one the
// pod's command reads, every variable the runtime reads is declared in the table, and the shared values (specs,
// report body, Vault reasons) are the ones both sides use. Pods are built with the operator's real builders.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import type { DataSet, ModelDeployment, TrainingJob } from "../../../operator/src/api/v1alpha1/index.js";
import { cleanupJob, prepareJob } from "../../../operator/src/dataset/desired.js";
import { eraseJob } from "../../../operator/src/erasurerequest/desired.js";
import { desiredObjects as modelDeploymentObjects } from "../../../operator/src/modeldeployment/desired.js";
import { Reason } from "../../../operator/src/reasons.js";
import { type DataVersion, desiredObjects as trainingObjects } from "../../../operator/src/trainingjob/desired.js";
import { workerPod } from "../../../operator/src/trainingjob/pytorch/worker-pod.js";
import { parseServeConfig, SERVE_FLAGS } from "../config.js";
import { PrepareReason } from "../prepare/errors.js";
import { type DataSetSpecInput, type PrepareSpec, specWithDefaults } from "../prepare/spec.js";
import { trainSpecOf } from "../train/spec.js";
import { VAULT_ENV } from "../vault/env.js";
import { SPLIT_DEFAULTS } from "./dataset.js";
import { POD_ENV, type PodCommand, type PodEnvKey } from "./pod-env.js";
import type { ModelProcessing } from "./processing.js";
import { ReportBody, type ReportUpdate } from "./report.js";
import { AWS_ENV } from "./storage.js";
import { VAULT_REASONS } from "./vault-reasons.js";

const HEX = "a".repeat(64);
const IMAGE = "registry.local/liftoff-runtime:1";
const report = { url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" };
const vault = {
  address: "https://10.88.0.1:8200",
  authMount: "kubernetes",
  caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" },
  tokenExpirationSeconds: 600,
};

/** Variables the operator sets that are not the runtime's own (Kubernetes' downward API, TensorFlow's logging, the AWS SDK's). */
const FOREIGN = new Set(["POD_IP", "TF_CPP_MIN_LOG_LEVEL", "OMP_NUM_THREADS", ...Object.values(AWS_ENV)]);

const mdep = (spec: Partial<ModelDeployment["spec"]>): ModelDeployment =>
  ({
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "churn", namespace: "ml", uid: "uid-1", generation: 1 },
    spec: { model: { uri: "pvc://models/churn/model.json", format: "tfjs-layers" }, ...spec },
  }) as ModelDeployment;

const dataSet = (spec: Partial<DataSet["spec"]>): DataSet =>
  ({
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "DataSet",
    metadata: { name: "penguins", namespace: "ml", uid: "uid-2", generation: 2 },
    spec: {
      source: { pvc: { claimName: "raw", path: "penguins.csv" } },
      format: "csv",
      schema: { target: "species", columns: [{ name: "species", type: "category", pii: false }] },
      output: { claimName: "data", path: "prepared/penguins" },
      retainVersions: 3,
      ...spec,
    },
  }) as DataSet;

const trainingJob: TrainingJob = {
  metadata: { name: "penguins", namespace: "ml", uid: "uid-3", generation: 1 },
  spec: {
    dataSetRef: { name: "penguins" },
    task: "multiclass",
    model: { layers: [{ type: "dense", units: 16, activation: "relu" }] },
    hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 5, batchSize: 32, seed: 0 },
  },
} as TrainingJob;

const data = (encrypted: boolean): DataVersion => ({
  claim: "data",
  path: `prepared/penguins/${HEX}`,
  digest: `sha256:${HEX}`,
  encrypted,
});

// biome-ignore lint/suspicious/noExplicitAny: reading containers out of built objects of several kinds
type Built = any;

/** Every container of every pod template among the objects: its command (args[0]) and its env names. */
function containersOf(objects: Built[]): { command: string; env: string[] }[] {
  const out: { command: string; env: string[] }[] = [];
  for (const o of objects) {
    // A Job's template, or a pod the operator creates itself (a pytorch worker).
    const pod = o.spec?.template?.spec ?? (o.kind === "Pod" ? o.spec : undefined);
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      out.push({ command: c.args?.[0] ?? "", env: (c.env ?? []).map((e: { name: string }) => e.name) });
    }
  }
  return out;
}

/** Representative pods of each kind, with every optional part that adds env turned on (and off). */
const PODS: [string, Built[]][] = [
  [
    "ModelDeployment, onnx",
    modelDeploymentObjects(mdep({}), {
      runtimeImage: IMAGE,
      stable: {
        uri: "pvc://models/minilm/model.onnx",
        format: "onnx",
        claim: "models",
        processing: {
          preprocessing: {
            image: { width: 224, height: 224, layout: "NCHW", channels: "RGB", resize: "bilinear", crop: "center" },
          },
          postprocessing: { topK: { k: 5, softmax: true, labels: { path: "labels.txt", digest: `sha256:${HEX}` } } },
        },
      },
      capabilities: { serviceMonitor: false, gatewayAPI: false },
    }).map((d) => d.object),
  ],
  [
    "ModelDeployment, tf-savedmodel",
    modelDeploymentObjects(mdep({}), {
      runtimeImage: IMAGE,
      stable: {
        uri: "pvc://models/classifier",
        format: "tf-savedmodel",
        claim: "models",
        savedModel: { tags: ["serve", "gpu"], signature: "by_id" },
      },
      capabilities: { serviceMonitor: false, gatewayAPI: false },
    }).map((d) => d.object),
  ],
  [
    "ModelDeployment, onnx on a GPU",
    modelDeploymentObjects(mdep({ resources: { gpu: 1 } }), {
      runtimeImage: IMAGE,
      stable: { uri: "pvc://models/minilm/model.onnx", format: "onnx", claim: "models" },
      capabilities: { serviceMonitor: false, gatewayAPI: false },
    }).map((d) => d.object),
  ],
  [
    "ModelDeployment, gguf",
    modelDeploymentObjects(mdep({}), {
      runtimeImage: IMAGE,
      stable: {
        uri: "pvc://models/smol/SmolLM2-135M-Instruct.Q4_1.gguf",
        format: "gguf",
        claim: "models",
        llm: { contextSize: 1024, gpuLayers: 0, parallel: 3, maxTokens: 64, chatTemplate: "chatML" },
      },
      capabilities: { serviceMonitor: false, gatewayAPI: false },
    }).map((d) => d.object),
  ],
  [
    "ModelDeployment, plain",
    modelDeploymentObjects(mdep({}), {
      runtimeImage: IMAGE,
      stable: { uri: "pvc://models/churn/model.json", format: "tfjs-layers", claim: "models" },
      capabilities: { serviceMonitor: false, gatewayAPI: false },
    }).map((d) => d.object),
  ],
  [
    "ModelDeployment with auth, batching, monitoring, canary and Vault",
    modelDeploymentObjects(
      mdep({
        auth: { apiKeys: { path: "secret/data/team/keys", key: "churn" }, refreshSeconds: 15, graceSeconds: 60 },
        batching: { maxBatchSize: 32, maxLatencyMs: 5 },
        monitoring: { drift: {}, feedback: true, windowSeconds: 600 },
        canary: { model: { uri: "https://models.example/v2/model.json", format: "tfjs-layers" }, trafficPercent: 10 },
      } as Partial<ModelDeployment["spec"]>),
      {
        runtimeImage: IMAGE,
        vault,
        stable: {
          uri: "pvc://models/churn/model.json",
          format: "tfjs-layers",
          digest: `sha256:${HEX}`,
          claim: "models",
        },
        canary: { uri: "https://models.example/v2/model.json", format: "tfjs-layers" },
        capabilities: { serviceMonitor: true, gatewayAPI: true },
        baseline: { uri: "pvc://models/churn/stats.json", claim: "models" },
        egressAllow: "10.0.0.0/8,.corp.example",
        report: { settings: report, periodSeconds: 30 },
        capture: {
          config: {
            uri: "pvc://captures/churn",
            sampleRate: 1,
            maxBytes: 1 << 30,
            retentionHours: 168,
            labelWaitSeconds: 600,
            flushSeconds: 30,
            target: "species",
            columns: [{ name: "island", type: "category" }],
            pii: [],
            encryption: { transitKey: "penguins" },
          },
          claim: "captures",
          needsVault: true,
        },
      },
    ).map((d) => d.object),
  ],
  ["DataSet prepare Job, plain", [prepareJob(dataSet({}), { runtimeImage: IMAGE }).object]],
  [
    "DataSet prepare Job with report, postgres, hashPII and encryption (Vault)",
    [
      prepareJob(
        dataSet({
          source: { postgres: { query: "select 1", dsnSecret: { path: "secret/data/db", key: "dsn" } } },
          transforms: [{ type: "hashPII", columns: ["species"], saltSecret: { path: "secret/data/s", key: "salt" } }],
          encryption: { transitKey: "penguins", vaultRole: "liftoff-dataset" },
        } as Partial<DataSet["spec"]>),
        { runtimeImage: IMAGE, report, vault },
        ["a".repeat(64)], // a version a TrainingJob trained on
      ).object,
    ],
  ],
  [
    "ErasureRequest erase Job (the DataSet's pod, with report and Vault)",
    [
      eraseJob(
        {
          metadata: { name: "forget-42", namespace: "ml", uid: "uid-4", generation: 1 },
          spec: {
            dataSetRef: { name: "penguins" },
            subjects: { vaultSecret: { path: "secret/data/ml/erasure", key: "ids" } },
          },
        },
        dataSet({
          privacy: { subjectKey: "species", saltSecret: { path: "secret/data/s", key: "salt" }, onErasure: "Flag" },
        }),
        { runtimeImage: IMAGE, report, vault },
      ).object,
    ],
  ],
  [
    "DataSet prepare Job of an http source, with an egress allow-list",
    [
      prepareJob(dataSet({ source: { http: { url: "http://files.corp.example/penguins.csv" } } }), {
        runtimeImage: IMAGE,
        egressAllow: "10.0.0.0/8,.corp.example",
      }).object,
    ],
  ],
  [
    "DataSet prepare Job merging captured traffic into its source",
    [
      prepareJob(
        dataSet({
          source: {
            pvc: { claimName: "raw", path: "penguins.csv" },
            captured: { modelDeploymentRef: { name: "penguins" }, maxAgeHours: 168, labelled: true },
          },
        }),
        {
          runtimeImage: IMAGE,
          report,
          vault,
          captured: { modelDeployment: "penguins", uri: "pvc://capture/penguins" },
        },
      ).object,
    ],
  ],
  ["DataSet cleanup Job", [cleanupJob(dataSet({}), { runtimeImage: IMAGE, report, vault }).object]],
  ["TrainingJob, plain", trainingObjects(trainingJob, { runtimeImage: IMAGE, data: data(false) }).map((d) => d.object)],
  [
    "TrainingJob on encrypted data, with report, Vault and a 1 s progress interval",
    trainingObjects(trainingJob, {
      runtimeImage: IMAGE,
      data: data(true),
      report,
      vault,
      progressIntervalMs: 1000,
    }).map((d) => d.object),
  ],
  [
    "TrainingJob, pytorch worker 1 of 2 on encrypted data",
    [
      workerPod(
        {
          ...trainingJob,
          spec: {
            ...(({ model: _m, ...rest }) => rest)(trainingJob.spec),
            pytorch: { script: { configMap: { name: "s", key: "train.py" } }, workers: 2, procsPerWorker: 1 },
          },
        },
        {
          runtimeImage: IMAGE,
          data: data(true),
          report,
          vault,
          images: { cpu: IMAGE, gpu: IMAGE },
        },
        0,
        1,
        "10.1.0.5",
      ),
    ],
  ],
  [
    "DataSet prepare Job from and to s3://, keys in Vault KV",
    [
      prepareJob(
        dataSet({
          source: { s3: { uri: "s3://raw/penguins.csv" } },
          output: { uri: "s3://liftoff/datasets/penguins" },
          storage: { endpoint: "http://10.0.0.1:8333", credentials: { vaultKV: { path: "secret/data/s3" } } },
        }),
        { runtimeImage: IMAGE, report, vault },
      ).object,
    ],
  ],
  [
    "TrainingJob writing to s3://, keys from Vault's AWS engine",
    trainingObjects(
      {
        ...trainingJob,
        spec: {
          ...trainingJob.spec,
          output: { uri: "s3://models/penguins" },
          storage: { credentials: { vaultAWS: { path: "aws/creds/trainer" } } },
        },
      },
      { runtimeImage: IMAGE, data: data(false), report, vault },
    ).map((d) => d.object),
  ],
];

/** The literal env values of the first container running `command` among one entry of PODS. */
function envValues(title: string, command: PodCommand): Record<string, string> {
  const objects = PODS.find(([t]) => t === title)?.[1] ?? [];
  const c = objects.map((o) => o.spec?.template?.spec?.containers?.[0]).find((x) => x?.args?.[0] === command);
  if (!c) throw new Error(`no ${command} container in "${title}"`);
  const env: { name: string; value?: string }[] = c.env ?? [];
  return Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

const byName = new Map(Object.values(POD_ENV).map((v) => [v.name as string, v]));

describe("the pod env table", () => {
  it("names each variable once", () => {
    expect(byName.size).toBe(Object.keys(POD_ENV).length);
  });

  it.each(PODS)("%s: every variable the operator sets is one the pod's command reads", (_, objects) => {
    const containers = containersOf(objects);
    expect(containers.length).toBeGreaterThan(0);
    for (const { command, env } of containers) {
      expect(["serve", "prepare", "train", "erase"]).toContain(command);
      for (const name of env) {
        if (FOREIGN.has(name)) continue;
        const declared = byName.get(name);
        expect(declared, `${name} is not in runtime/src/contract/pod-env.ts`).toBeDefined();
        expect(declared?.readBy, `${name} is set on a ${command} pod`).toContain(command as PodCommand);
      }
    }
  });

  it("covers every variable the operator sets on some pod (none is declared for nothing)", () => {
    const set = new Set(PODS.flatMap(([, objects]) => containersOf(objects).flatMap((c) => c.env)));
    // Set by people (flags of a local run) or by the local node agent, never by the operator.
    const notByOperator: PodEnvKey[] = [
      "host",
      "maxRequestRows",
      "bodyLimitBytes",
      "maxPendingRequests",
      "requestTimeoutMs",
      "headersTimeoutMs",
      "grpcMaxConcurrentStreams",
      "authTokenFile",
      "authTokens",
      "tlsCertFile",
      "tlsKeyFile",
      "logLevel",
      "predictionTtlSeconds",
      "predictionStoreRows",
      "prepareOut",
      "terminationLog",
      "pathPrefix",
      "python",
    ];
    const expected = (Object.keys(POD_ENV) as PodEnvKey[]).filter((k) => !notByOperator.includes(k));
    expect(expected.filter((k) => !set.has(POD_ENV[k].name))).toEqual([]);
    expect(notByOperator.filter((k) => set.has(POD_ENV[k].name))).toEqual([]);
  });
});

/** The runtime's non-test sources outside the contract, as text. */
function runtimeSources(): { file: string; text: string }[] {
  const root = join(REPO_ROOT, "runtime/src");
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push({ file: relative(root, p), text: "" });
    }
  };
  walk(root);
  return out
    .filter((f) => !f.file.startsWith("contract/"))
    .map((f) => ({ ...f, text: readFileSync(join(root, f.file), "utf8") }));
}

describe("the runtime reads the table", () => {
  it("serve's flag table takes every env name from it, for serve", () => {
    for (const flag of SERVE_FLAGS) expect(byName.get(flag.env)?.readBy, flag.env).toContain("serve");
    const serveOnly = Object.values(POD_ENV).filter((v) => v.readBy.length === 1 && v.readBy[0] === "serve");
    const flagEnvs = new Set<string>(SERVE_FLAGS.map((f) => f.env));
    // The one env-only name is the removed LIFTOFF_AUTH_TOKENS, which serve refuses (#24).
    expect(serveOnly.filter((v) => !flagEnvs.has(v.name)).map((v) => v.name)).toEqual([POD_ENV.authTokens.name]);
  });

  it("the Vault login reads the table's Vault variables", () => {
    expect(Object.values(VAULT_ENV).sort()).toEqual(
      Object.values(POD_ENV)
        .filter((v) => v.name.startsWith("LIFTOFF_VAULT_"))
        .map((v) => v.name)
        .sort(),
    );
  });

  it("every LIFTOFF_* variable the runtime's code names is declared, and every declared one is read", () => {
    const named = new Set<string>();
    const used = new Set<string>();
    for (const { text } of runtimeSources()) {
      // Error codes (LIFTOFF_ERR_*) are HTTP/gRPC codes, not variables; `LIFTOFF_VAULT_*` in help is a family.
      for (const m of text.matchAll(/\bLIFTOFF_(?!ERR_)[A-Z0-9_]*[A-Z0-9]\b/g)) named.add(m[0]);
      for (const m of text.matchAll(/\bPOD_ENV\.(\w+)/g)) used.add(m[1] ?? "");
    }
    expect([...named].filter((n) => !byName.has(n))).toEqual([]);
    const read = (Object.keys(POD_ENV) as PodEnvKey[]).filter((k) => used.has(k) || named.has(POD_ENV[k].name));
    expect(read.sort()).toEqual(Object.keys(POD_ENV).sort());
  });
});

describe("no LIFTOFF_* string literal in the operator", () => {
  it("builds every pod's env from the table (its own flags in config.ts are the operator's, not a pod's)", () => {
    const root = join(REPO_ROOT, "operator/src");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        const file = relative(root, p);
        if (e.isDirectory()) {
          if (file !== "contract") walk(p);
        } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && file !== "config.ts") {
          if (/["'`]LIFTOFF_/.test(readFileSync(p, "utf8"))) offenders.push(file);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe("shared values", () => {
  it("prepare's parser takes the API's spec as the operator sends it, and returns a valid API spec", () => {
    // Compile-time ties: the operator's Static<> type fits the runtime's input, the defaulted spec fits the API.
    const sent: DataSet["spec"] = dataSet({}).spec;
    const input: DataSetSpecInput = sent;
    const parsed: PrepareSpec = specWithDefaults(JSON.parse(JSON.stringify(input)));
    const back: DataSet["spec"] = parsed;
    expect(back.split).toEqual({ train: 0.8, validation: 0.1, test: 0.1, seed: 42 });
  });

  it("a report the runtime types is one the operator's schema accepts", () => {
    const update: ReportUpdate = { formatVersion: 1, phase: "failed", reason: "SchemaMismatch", message: "m" };
    expect(Value.Check(ReportBody, update)).toBe(true);
    expect(Value.Check(ReportBody, { ...update, phase: "done" })).toBe(false);
  });

  it("the Vault reasons are in the operator's catalogue and prepare's", () => {
    for (const r of VAULT_REASONS) {
      expect(Reason[r]).toBe(r);
      expect(PrepareReason[r]).toBe(r);
    }
  });
});

describe("what the operator writes, the runtime parses", () => {
  it("serve: a full ModelDeployment's pod env is a valid serve configuration with the spec's values", () => {
    const env = envValues("ModelDeployment with auth, batching, monitoring, canary and Vault", "serve");
    expect(parseServeConfig([], env)).toMatchObject({
      modelUri: "pvc://models/churn/model.json",
      modelDigest: HEX,
      authVaultPath: "secret/data/team/keys",
      authVaultKey: "churn",
      authRefreshSeconds: 15,
      authGraceSeconds: 60,
      maxBatchSize: 32,
      maxLatencyMs: 5,
      baselineUri: "pvc://models/churn/stats.json",
      monitoringWindowSeconds: 600,
      monitoringReportSeconds: 30,
      feedback: true,
    });
  });

  it("serve: spec.model's preprocessing and postprocessing reach serve as the processing it applies", () => {
    const env = envValues("ModelDeployment, onnx", "serve");
    const processing: ModelProcessing | undefined = parseServeConfig([], env).modelProcessing;
    expect(processing?.preprocessing).toEqual({
      image: { width: 224, height: 224, layout: "NCHW", channels: "RGB", resize: "bilinear", crop: "center" },
    });
    expect(processing?.postprocessing?.topK?.labels).toEqual({ path: "labels.txt", digest: `sha256:${HEX}` });
    // Compile-time: the API's spec fields are the contract's types.
    const api: ModelDeployment["spec"]["model"] = { format: "onnx", uri: "pvc://m/x.onnx", ...processing };
    expect(api.postprocessing?.topK?.k).toBe(5);
  });

  it("serve: a gguf ModelDeployment's pod env is a valid serve configuration with spec.model.llm", () => {
    const env = envValues("ModelDeployment, gguf", "serve");
    expect(parseServeConfig([], env)).toMatchObject({
      modelFormat: "gguf",
      llmContextSize: 1024,
      llmGpuLayers: 0,
      llmParallel: 3,
      llmMaxTokens: 64,
      llmChatTemplate: "chatML",
    });
  });

  it("prepare: the DataSet spec in the Job parses into that spec with the API's defaults", () => {
    const env = envValues("DataSet prepare Job, plain", "prepare");
    const spec = specWithDefaults(JSON.parse(env[POD_ENV.dataSetSpec.name] ?? "null"));
    expect(spec.output).toEqual({ claimName: "data", path: "prepared/penguins" });
    expect(spec.split).toEqual(SPLIT_DEFAULTS);
  });

  it("train: the TrainingJob spec in the Job parses into that spec, in the API's vocabulary", () => {
    const env = envValues("TrainingJob, plain", "train");
    const t = trainSpecOf(JSON.parse(env[POD_ENV.trainSpec.name] ?? "null"));
    // Compile-time: what train parsed is a valid API spec again (one vocabulary, from the contract).
    const hyperparameters: TrainingJob["spec"]["hyperparameters"] = {
      optimizer: t.optimizer,
      learningRate: t.learningRate,
      epochs: t.epochs,
      batchSize: t.batchSize,
      loss: t.loss,
      metrics: t.metrics,
      seed: t.seed,
    };
    const task: TrainingJob["spec"]["task"] = t.task;
    expect({ name: t.name, task, ...hyperparameters }).toEqual({
      name: "penguins",
      task: "multiclass",
      optimizer: "adam",
      learningRate: 0.01,
      epochs: 5,
      batchSize: 32,
      loss: "sparseCategoricalCrossentropy",
      metrics: [],
      seed: 0,
    });
  });
});
