// A team's own PyTorch script as a TrainingJob on the local cluster, with the real operator, OpenBao and node agent:
// examples/pytorch/penguins_ddp.py (a plain DistributedDataParallel loop through the liftoff package) trains on the
// encrypted penguins DataSet over two worker pods that exchange gradients with gloo over the pod network, each
// decrypting the version with its own Vault role. Worker 1 is SIGKILLed mid-run: the whole group restarts from the
// last checkpoint and ends with the planned epochs; `kubectl get tj -w` shows the progress; the exported ONNX model is
// served by a ModelDeployment as accurately as the same script run by hand with plain torchrun. Then the faults: a
// script that raises, an export that does not load, and a group larger than the cluster.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { applyObject, type LiftoffObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { versionDataKey } from "../../hack/demo/vault.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { decryptFile } from "../../runtime/src/crypto/segments.js";
import { hackScriptLines, ROOT } from "../clients/support.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { encryptedPenguins, penguinsVaultRoles, watchTrainingJob } from "../support/training.js";
import { testVault } from "../support/vault.js";
import { containerPid, processAlive } from "./node-agent-helpers.js";

const run = promisify(execFile);
const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "pytorch", { start: false, restricted: true });
const core = admin.makeApiClient(CoreV1Api);
const CLAIM = "liftoff-data";
const SCRIPT = join(ROOT, "examples/pytorch/penguins_ddp.py");
const SAMPLE = join(ROOT, "config/samples/liftoff_v1alpha1_trainingjob_pytorch.yaml");
// Batch 1 over ~230 rows: ~115 all-reduces per epoch and rank, long enough to kill a worker between two checkpoints.
const EPOCHS = 12;
const JOBS = ["ddp", "raises", "badexport"] as const;
let op: OperatorHandle;
let folder: string;
let ns: string;
let python: string;

const ref = (kind: LiftoffObject["kind"], name: string) => ({ kind, namespace: ns, name });

/** The sample (config/samples/liftoff_v1alpha1_trainingjob_pytorch.yaml) under another name, script and size. */
function pytorchJob(name: string, configMap: string, key: string, workers: number, extra: Obj = {}): LiftoffObject {
  const tj = parse(readFileSync(SAMPLE, "utf8")) as LiftoffObject;
  tj.metadata = { name, namespace: ns };
  const spec = tj.spec as Obj;
  spec.pytorch = { ...spec.pytorch, script: { configMap: { name: configMap, key } }, workers };
  spec.hyperparameters = { ...spec.hyperparameters, epochs: EPOCHS, batchSize: 1 };
  spec.resources = { cpu: "500m", memory: "2Gi" };
  spec.output = { claimName: CLAIM, path: `models/${name}` };
  Object.assign(spec, extra);
  return tj;
}

async function configMap(name: string, files: Record<string, string>): Promise<void> {
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: files } });
}

async function workerPods(name: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `liftoff.dev/trainingjob=${name}` });
  return list.items.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

const podLog = (pod: V1Pod) =>
  core.readNamespacedPodLog({ name: pod.metadata?.name ?? "", namespace: ns, container: "train" });

/** Epochs of the checkpoints the script wrote on the claim (epoch-000003.pt), ascending. */
function checkpointEpochs(name: string, uid: string): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(folder, "models", name, ".checkpoints", uid));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = /^epoch-(\d{6})\.pt$/.exec(n);
    return m ? [Number(m[1])] : [];
  });
}

/** The DataSet version decrypted into a folder (the admin's key; a person's by-hand copy), for the by-hand run. */
async function plaintextVersion(): Promise<{ dir: string; version: string }> {
  const ds = await readObject(admin, ref("DataSet", "penguins"));
  const version = join(folder, "datasets/penguins", ds.status.digest.slice("sha256:".length));
  const key = await versionDataKey(inject("clusterName"), version, { namespace: ns, dataset: "penguins" });
  if (!key) throw new Error("the penguins DataSet should be encrypted");
  const dir = mkdtempSync(join("/dev/shm", "liftoff-pytorch-test-"));
  const files = (sub: string): string[] =>
    readdirSync(join(version, sub), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(sub, e.name)) : [join(sub, e.name)],
    );
  for (const rel of files(".").filter((f) => f.endsWith(".enc"))) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    await decryptFile(join(version, rel), join(dir, rel.slice(0, -".enc".length)), key, rel.replace(/^\.\//, ""));
  }
  return { dir, version };
}

beforeAll(async () => {
  ns = fx.ns.name;
  const cluster = inject("clusterName");
  [python] = (await hackScriptLines("hack/pytorch-venv.sh")) as [string];
  const vault = testVault(cluster);
  const transitKey = await penguinsVaultRoles(vault, ns, JOBS);
  op = await startTestOperator(
    fx.operatorKc,
    [ns],
    [
      "--leader-elect=false",
      ...(await reportFlags(cluster)),
      `--vault-addr=${vault.podAddress}`,
      "--vault-ca-configmap=kube-root-ca.crt",
      "--progress-interval=1",
    ],
  );
  await op.leading;
  folder = await encryptedPenguins(admin, ns, CLAIM, transitKey);
  await configMap("penguins-ddp", { "train.py": readFileSync(SCRIPT, "utf8") });
}, 600_000);

afterAll(async () => {
  await op?.stop();
});

describe("a pytorch TrainingJob on the local cluster", () => {
  let done: Obj;

  it("trains on two worker pods that exchange gradients, survives a worker's SIGKILL by restarting the group from its last checkpoint, and shows progress in `kubectl get tj`", {
    timeout: 420_000,
  }, async () => {
    const table = watchTrainingJob(inject("kubectl"), inject("kubeconfig"), ns, "ddp");
    try {
      await applyObject(admin, pytorchJob("ddp", "penguins-ddp", "train.py", 2));
      const uid = (await readObject(admin, ref("TrainingJob", "ddp"))).metadata.uid as string;
      // Both workers of attempt 0 run, worker 1 given worker 0's pod IP as its torchrun master.
      const [w0, w1] = await pollUntil(
        "two running workers of attempt 0",
        async () => {
          const pods = (await workerPods("ddp")).filter(
            (p) => p.metadata?.labels?.["liftoff.dev/group-attempt"] === "0",
          );
          const running = pods.filter((p) => p.status?.phase === "Running" && containerPid(p) > 0);
          return running.length === 2 ? running : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 100 },
      );
      const master = w1?.spec?.containers[0]?.env?.find((e) => e.name === "LIFTOFF_TORCH_MASTER_ADDR")?.value;
      expect(master).toBe(w0?.status?.podIP);
      const before = await pollUntil(
        "a checkpoint after epoch 2",
        async () => {
          const top = Math.max(-1, ...checkpointEpochs("ddp", uid));
          return top >= 2 ? top : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 50 },
      );
      expect(before).toBeLessThan(EPOCHS);
      const pid = containerPid(w1 as V1Pod);
      process.kill(pid, "SIGKILL");
      await pollUntil("the killed worker is gone", async () => !processAlive(pid), { timeoutMs: 10_000 });
      await waitForCondition(admin, ref("TrainingJob", "ddp"), "Succeeded", { timeoutMs: 300_000 });
      done = await readObject(admin, ref("TrainingJob", "ddp"));
      await pollUntil(
        "the watch prints the Succeeded row",
        async () => table.lines.some((l) => /^ddp\s+Succeeded\s+100\s/.test(l)),
        { timeoutMs: 30_000 },
      );
    } finally {
      table.stop();
    }

    // The printer columns as a user watching saw them: the run moved while it ran, and ended at 100.
    expect(table.lines[0]?.split(/\s+/).slice(0, 5)).toEqual(["NAME", "STATUS", "PROGRESS", "LOSS", "ETA"]);
    const rows = table.lines.flatMap((l) => {
      const m = /^ddp\s+(Running|Succeeded)\s+(\d+)\s+([0-9.e+-]+)\s/.exec(l);
      return m ? [{ status: m[1], progress: Number(m[2]), loss: Number(m[3]) }] : [];
    });
    expect(
      rows.some((r) => r.status === "Running" && r.progress < 100),
      table.lines.join("\n"),
    ).toBe(true);
    expect(rows.at(-1)).toMatchObject({ status: "Succeeded", progress: 100 });

    // The group ran again as attempt 1 and resumed after the checkpoint the kill left, not from epoch 0.
    expect(done.status.workers).toMatchObject({ attempt: 1, total: 2 });
    const pods = await workerPods("ddp");
    const killed = pods.find((p) => p.metadata?.name === "ddp-g0-w1");
    expect(killed?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
    const again = pods.filter((p) => p.metadata?.labels?.["liftoff.dev/group-attempt"] === "1");
    expect(again.map((p) => p.metadata?.name)).toEqual(["ddp-g1-w0", "ddp-g1-w1"]);
    const logs = await Promise.all(again.map(podLog));
    const resumed = logs.map((l) => Number(/resuming from the checkpoint of epoch (\d+)/.exec(l)?.[1] ?? Number.NaN));
    for (const r of resumed) {
      expect(r).toBeGreaterThanOrEqual(2);
      expect(r).toBeLessThan(EPOCHS);
    }
    // Gradients were exchanged: both workers (each its own process and pod address) end with the same weights.
    const digests = logs.map((l) => /rank (\d)\/2: weights ([0-9a-f]{16})/.exec(l));
    expect(digests.map((m) => m?.[1])).toEqual(["0", "1"]);
    expect(digests[0]?.[2]).toBe(digests[1]?.[2]);
    expect(again[0]?.status?.podIP).not.toBe(again[1]?.status?.podIP);

    // The planned epochs in the end, with every epoch's curve, and an ONNX model pinned by its file digest.
    expect(done.status.progress).toMatchObject({ epoch: EPOCHS, epochs: EPOCHS, percentage: 100 });
    expect(done.status.history.epochs.map((e: Obj) => e.epoch)).toEqual(
      Array.from({ length: EPOCHS }, (_, i) => i + 1),
    );
    expect(done.status.model.format).toBe("onnx");
    const ds = await readObject(admin, ref("DataSet", "penguins"));
    expect(done.status.model.dataSetDigest).toBe(ds.status.digest);
    const artifact = join(folder, done.status.model.uri.replace(`pvc://${CLAIM}/`, ""));
    expect(readdirSync(artifact).sort()).toEqual([
      "liftoff.json",
      "manifest.json",
      "model.onnx",
      "preprocessing.json",
      "stats.json",
    ]);
    const lineage = JSON.parse(readFileSync(join(artifact, "liftoff.json"), "utf8"));
    expect(lineage).toMatchObject({ framework: "pytorch", epochs: EPOCHS, pytorch: { workers: 2 } });
    expect(done.status.finalMetrics.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("serves the exported ONNX model with the accuracy of the same script run by hand with plain torchrun", {
    timeout: 300_000,
  }, async () => {
    expect(done, "the training test ran first").toBeDefined();
    await createModelDeployment(admin, ns, "ddp", {
      model: { trainingJobRef: { name: "ddp" }, format: "onnx" },
      replicas: 1,
      resources: { cpu: "500m", memory: "1Gi" },
    });
    const plain = await plaintextVersion();
    try {
      // By hand: the same script under plain torchrun, two processes on this host, on the decrypted version, with
      // the TrainingJob's hyperparameters — uninterrupted, in a folder of its own (its checkpoints and model.onnx).
      const work = mkdtempSync(join(tmpdir(), "liftoff-by-hand-"));
      const byHand = await run(
        python,
        ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", SCRIPT, "--data", plain.dir],
        {
          cwd: work,
          env: {
            ...process.env,
            PYTHONPATH: join(ROOT, "python"),
            OMP_NUM_THREADS: "1",
            LIFTOFF_TORCH_HYPERPARAMETERS: JSON.stringify(done.spec.hyperparameters),
          },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).finally(() => rmSync(work, { recursive: true, force: true }));
      const handAccuracy = Number(/test_accuracy=([0-9.]+)\s*$/.exec(byHand.stdout)?.[1]);
      expect(handAccuracy).toBeGreaterThanOrEqual(0.9);
      // The test split's feature rows and labels, as the script reads them.
      const dump = await run(
        python,
        [
          "-c",
          "import json,sys,liftoff; t=liftoff.dataset(sys.argv[1]).test; print(json.dumps({'x': t.x.tolist(), 'y': t.y.tolist()}))",
          plain.dir,
        ],
        { env: { ...process.env, PYTHONPATH: join(ROOT, "python") }, maxBuffer: 16 * 1024 * 1024 },
      );
      const test = JSON.parse(dump.stdout) as { x: number[][]; y: number[] };
      await waitForCondition(admin, ref("ModelDeployment", "ddp"), "Ready", { timeoutMs: 180_000 });
      const ep = await serviceEndpoint(admin, ns, "ddp");
      const width = test.x[0]?.length ?? 0;
      const res = await fetch(`${ep.url}/v2/models/ddp/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          inputs: [{ name: "input", datatype: "FP32", shape: [test.x.length, width], data: test.x.flat() }],
        }),
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const out = (JSON.parse(text) as { outputs: { shape: number[]; data: number[] }[] }).outputs[0];
      const classes = out?.shape[1] ?? 0;
      const predicted = test.y.map((_, i) => {
        const row = (out?.data ?? []).slice(i * classes, (i + 1) * classes);
        return row.indexOf(Math.max(...row));
      });
      const served = predicted.filter((p, i) => p === test.y[i]).length / test.y.length;
      expect(Math.abs(served - handAccuracy)).toBeLessThanOrEqual(0.005);
      expect(served).toBeCloseTo(done.status.finalMetrics.accuracy, 6);
    } finally {
      rmSync(plain.dir, { recursive: true, force: true });
    }
  });

  it("fails with the script's last lines when it raises, and before publishing when its export does not load", {
    timeout: 300_000,
  }, async () => {
    await configMap("faulty", {
      "raises.py": [
        "import liftoff",
        "liftoff.init_distributed()",
        "ds = liftoff.dataset()",
        "raise ValueError(f'no column flipper_length among {len(ds.feature_names)} features')",
      ].join("\n"),
      "badexport.py": [
        "import json, os, liftoff",
        "liftoff.init_distributed()",
        "open(os.path.join(os.environ['LIFTOFF_TORCH_EXPORT_DIR'], 'model.onnx'), 'wb').write(b'not an onnx graph')",
        "with open(os.environ['LIFTOFF_TORCH_EVENTS'], 'a') as f:",
        "    f.write(json.dumps({'type': 'export', 'file': 'model.onnx', 'metrics': {}}) + '\\n')",
      ].join("\n"),
    });
    await applyObject(admin, pytorchJob("raises", "faulty", "raises.py", 1));
    await applyObject(admin, pytorchJob("badexport", "faulty", "badexport.py", 1));
    for (const [name, reason, words] of [
      ["raises", "ScriptFailed", "ValueError: no column flipper_length among"],
      ["badexport", "ExportInvalid", "does not load in the Liftoff runtime"],
    ] as const) {
      await waitForCondition(admin, ref("TrainingJob", name), "Failed", { timeoutMs: 180_000, failOn: [] });
      const tj = await readObject(admin, ref("TrainingJob", name));
      const ready = tj.status.conditions.find((c: Obj) => c.type === "Ready");
      expect(ready, JSON.stringify(tj.status)).toMatchObject({ status: "False", reason });
      expect(ready.message).toContain(words);
      expect(tj.status.model).toBeUndefined();
      // Not retried: the same script and data would fail again.
      expect((await workerPods(name)).length).toBe(1);
    }
    expect(readdirSync(join(folder, "models", "badexport")).filter((f) => /^[0-9a-f]{64}$/.test(f))).toEqual([]);
  });

  it("starts no worker of a group larger than the cluster, and says so in a condition", {
    timeout: 120_000,
  }, async () => {
    await applyObject(
      admin,
      pytorchJob("toobig", "penguins-ddp", "train.py", 3, { resources: { cpu: "64", memory: "1Gi" } }),
    );
    const tj = await pollUntil(
      "the InsufficientCapacity condition",
      async () => {
        const o = await readObject(admin, ref("TrainingJob", "toobig"));
        const ready = o.status?.conditions?.find((c: Obj) => c.type === "Ready");
        return ready?.reason === "InsufficientCapacity" ? o : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const ready = tj.status.conditions.find((c: Obj) => c.type === "Ready");
    expect(tj.status.phase).toBe("Pending");
    expect(ready.message).toMatch(/^3 workers of cpu 64, memory 1Gi each do not fit: the cluster has room for 0 now/);
    expect(await workerPods("toobig")).toEqual([]);
  });
});
