// The worker's side of a pytorch run (pure parts): the manifest, torchrun's command line, the script's events as
// progress, and how a failed torchrun is judged.
import { readFileSync } from "node:fs";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../../devcluster/cluster/config.js";
import { SCRIPT_ENV } from "../../contract/pytorch.js";
import { ConfigError } from "../../errors.js";
import { eventsTail, parseEvent } from "./events.js";
import { classifyFailure, lastLines } from "./failure.js";
import { addEpoch, emptyProgress, progressOf } from "./progress.js";
import { isPyTorch, pytorchRunOf } from "./spec.js";
import { podInterface, scriptEnv, torchrunArgv } from "./torchrun.js";

const manifest = (pytorch: Record<string, unknown>) => ({
  kind: "TrainingJob",
  metadata: { name: "ddp", namespace: "ml", uid: "u-1" },
  spec: { dataSetRef: { name: "penguins" }, task: "multiclass", hyperparameters: { epochs: 4 }, pytorch },
});

describe("pytorchRunOf", () => {
  it("reads the script, the group's shape and the hyperparameters", () => {
    const run = pytorchRunOf(manifest({ script: { configMap: { name: "s", key: "train.py" } }, workers: 2 }));
    expect(run).toMatchObject({
      name: "ddp",
      namespace: "ml",
      dataSet: "penguins",
      configMap: { name: "s", key: "train.py" },
      args: [],
      workers: 2,
      procsPerWorker: 1,
      hyperparameters: { epochs: 4 },
    });
    expect(isPyTorch(manifest({}))).toBe(true);
    expect(isPyTorch({ spec: { model: {} } })).toBe(false);
  });

  it("refuses a script given twice or not at all, and a bad group size, naming the field", () => {
    expect(() => pytorchRunOf(manifest({ script: {} }))).toThrow(/exactly one/);
    expect(() => pytorchRunOf(manifest({ script: { path: "/a.py", configMap: { name: "s", key: "k" } } }))).toThrow(
      ConfigError,
    );
    expect(() => pytorchRunOf(manifest({ script: { path: "/a.py" }, workers: 0 }))).toThrow(/spec.pytorch.workers/);
  });
});

describe("the script's environment", () => {
  it("uses the names the liftoff Python package reads (python/liftoff/_env.py)", () => {
    const py = readFileSync(path.join(REPO_ROOT, "python/liftoff/_env.py"), "utf8");
    for (const name of Object.values(SCRIPT_ENV)) expect(py, name).toContain(`"${name}"`);
  });
});

describe("torchrun", () => {
  it("runs a static rendezvous on worker 0's address without restarts of its own", () => {
    const place = { index: 1, workers: 2, procsPerWorker: 3, masterAddr: "10.1.0.5", masterPort: 29501 };
    expect(torchrunArgv("python3", place, "/s/train.py", ["--epochs", "3"])).toEqual([
      "python3",
      "-m",
      "torch.distributed.run",
      "--nnodes=2",
      "--node-rank=1",
      "--nproc-per-node=3",
      "--master-addr=10.1.0.5",
      "--master-port=29501",
      "--max-restarts=0",
      "/s/train.py",
      "--epochs",
      "3",
    ]);
    const env = scriptEnv(
      { A: "1" },
      { dataDir: "/d", checkpointDir: "/c", exportDir: "/e", events: "/v" },
      { epochs: 3 },
    );
    expect(env).toMatchObject({
      A: "1",
      LIFTOFF_TORCH_DATA_DIR: "/d",
      LIFTOFF_TORCH_CHECKPOINT_DIR: "/c",
      LIFTOFF_TORCH_EXPORT_DIR: "/e",
      LIFTOFF_TORCH_EVENTS: "/v",
      LIFTOFF_TORCH_HYPERPARAMETERS: '{"epochs":3}',
    });
    // gloo and NCCL bind to the interface of the pod's address, unless the pod names one itself.
    const ifaces = { lo: [{ address: "127.0.0.1" }], eth0: [{ address: "10.1.0.5" }] };
    expect(podInterface("10.1.0.5", ifaces)).toBe("eth0");
    expect(podInterface(undefined, ifaces)).toBeUndefined();
    const files = { dataDir: "/d", checkpointDir: "/c", exportDir: "/e", events: "/v" };
    expect(scriptEnv({}, files, {}, "eth0")).toMatchObject({ GLOO_SOCKET_IFNAME: "eth0", NCCL_SOCKET_IFNAME: "eth0" });
    expect(scriptEnv({ GLOO_SOCKET_IFNAME: "ib0" }, files, {}, "eth0").GLOO_SOCKET_IFNAME).toBe("ib0");
  });
});

describe("events", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("parses what the package writes and drops what it cannot trust", () => {
    expect(
      parseEvent('{"type":"progress","epoch":2,"epochs":5,"metrics":{"loss":0.5,"val_accuracy":0.9,"bad key":1}}'),
    ).toEqual({
      type: "progress",
      epoch: 2,
      epochs: 5,
      metrics: { loss: 0.5, val_accuracy: 0.9 },
    });
    expect(parseEvent('{"type":"progress","epoch":0,"metrics":{}}')).toBeUndefined();
    expect(parseEvent('{"type":"export","file":"../model.onnx","metrics":{}}')).toBeUndefined();
    expect(parseEvent('{"type":"checkpoint","name":"epoch-000003.pt","epoch":3}')).toEqual({
      type: "checkpoint",
      name: "epoch-000003.pt",
      epoch: 3,
    });
    expect(parseEvent("not json")).toBeUndefined();
  });

  it("follows the file line by line, holding a torn last line until it is complete", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "events-"));
    const file = path.join(dir, "events.jsonl");
    const tail = eventsTail(file);
    expect(await tail.poll()).toEqual([]);
    await appendFile(file, '{"type":"progress","epoch":1,"metrics":{"loss":1}}\n{"type":"export",');
    expect((await tail.poll()).map((e) => e.type)).toEqual(["progress"]);
    await appendFile(file, '"file":"model.onnx","metrics":{"accuracy":0.97}}\n');
    expect(await tail.poll()).toEqual([{ type: "export", file: "model.onnx", metrics: { accuracy: 0.97 } }]);
  });
});

describe("progress", () => {
  it("turns epochs into the TrainingJob's progress, keeping a resumed run's earlier epochs", () => {
    let s = emptyProgress();
    const ev = (epoch: number, loss: number) =>
      ({ type: "progress", epoch, metrics: { loss, val_loss: loss * 2 }, samples: 200, seconds: 2 }) as const;
    s = addEpoch(s, ev(1, 0.9));
    s = addEpoch(s, ev(2, 0.7));
    const p = progressOf(s, ev(2, 0.7), 4);
    expect(p).toMatchObject({
      epoch: 2,
      epochs: 4,
      percentage: 50,
      loss: 0.7,
      metrics: { val_loss: 1.4 },
      samplesPerSecond: 100,
      estimatedRemainingSeconds: 4,
    });
    expect(p.history?.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // The restarted group reports epoch 2 again (its checkpoint was epoch 1): epoch 2 is replaced, not appended.
    s = addEpoch(s, ev(2, 0.65));
    expect(s.history).toEqual([
      { loss: 0.9, val_loss: 1.8 },
      { loss: 0.65, val_loss: 1.3 },
    ]);
  });
});

describe("classifyFailure", () => {
  const traceback = [
    "[rank0]: Traceback (most recent call last):",
    "Traceback (most recent call last):",
    '  File "/s/train.py", line 9, in <module>',
    "    raise ValueError('no column flipper')",
    "ValueError: no column flipper",
    "E1207 torch/distributed/elastic/multiprocessing/api.py:1002] failed (exitcode: 1) local_rank: 0 (pid: 9) of binary: python",
    "Traceback (most recent call last):",
    '  File "torch/distributed/run.py", line 1138, in main',
    "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:",
  ];

  it("calls the script's own exception a script failure, with its last lines", () => {
    const f = classifyFailure(traceback, 1, null);
    expect(f.kind).toBe("script");
    expect(f.message).toContain("ValueError: no column flipper");
    // torchrun's own traceback after the worker died is left out.
    expect(f.message).not.toContain("ChildFailedError");
    expect(f.message.split("\n").at(-1)).toBe("ValueError: no column flipper");
    expect(lastLines(["=".repeat(40), "a", "", "b"])).toBe("a\nb");
  });

  it("calls a peer's loss (the connection closed, a worker SIGKILLed) retriable", () => {
    expect(classifyFailure(["RuntimeError: [gloo] Connection closed by peer [10.1.0.6]:1234"], 1, null).kind).toBe(
      "peerLost",
    );
    expect(classifyFailure(["exitcode  : -9 (pid: 42)"], 1, null).kind).toBe("peerLost");
    expect(classifyFailure([], null, "SIGTERM").kind).toBe("peerLost");
  });
});
