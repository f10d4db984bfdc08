// End to end on the local cluster with the real image classifier and declared processing: EfficientNet-Lite0 and its
// labels (hack/build-image-model.sh, docs/models.md) are placed on a PersistentVolumeClaim; a ModelDeployment with
// spec.model.preprocessing.image and postprocessing.topK (the labels pinned by their digest) serves them, and photo
// files sent as V2 BYTES through the Service come back as the right labels. The operator passes the processing to the
// pod (LIFTOFF_MODEL_PROCESSING); a file that is not a picture is a 400 naming the input.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "image-e2e", { flags: ["--leader-elect=false"], restricted: true });
const MODEL = "sha256:e1151b487b4de29a79ecc82361cfa4957829997a1fb31ecca8908ddad4005d1d";
const LABELS = "sha256:1b0c1e842afe63343c3d11a78c69e19ee2be9d80d19c5080ea0863f3ef66451e";

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

describe("ModelDeployment with declared image preprocessing and top-k", () => {
  it("classifies photo files into labels through the Service", { timeout: 300_000 }, async () => {
    const dir = execFileSync("bash", ["hack/build-image-model.sh"], { encoding: "utf8" }).trim();
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "lite0"), { recursive: true });
    for (const f of ["model.onnx", "labels.txt"]) copyFileSync(join(dir, f), join(folder, "lite0", f));
    await createModelDeployment(admin, fx.ns.name, "lite0", {
      model: {
        uri: "pvc://models/lite0/model.onnx",
        format: "onnx",
        digest: MODEL,
        preprocessing: {
          image: {
            input: "input",
            width: 224,
            height: 224,
            layout: "NCHW",
            channels: "RGB",
            resize: "bilinear",
            crop: "center",
            scale: 1,
            mean: [127, 127, 127],
            std: [128, 128, 128],
          },
        },
        postprocessing: {
          topK: { output: "logits", k: 3, softmax: true, labels: { path: "labels.txt", digest: LABELS } },
        },
      },
      replicas: 1,
      resources: { cpu: "1", memory: "512Mi" },
      batching: { maxBatchSize: 8, maxLatencyMs: 2 },
    });
    const ready = await pollUntil(
      "lite0 Ready",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "lite0");
        return m.status?.observedGeneration === m.metadata.generation && cond(m, "Ready")?.status === "True"
          ? m
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    ).catch(async (err: unknown) => {
      const m = await getModelDeployment(admin, fx.ns.name, "lite0");
      throw new Error(`${(err as Error).message}; conditions: ${JSON.stringify(m.status?.conditions)}`);
    });
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");

    const ep = await serviceEndpoint(admin, fx.ns.name, "lite0");
    const meta = (await (await fetch(`${ep.url}/v2/models/lite0`)).json()) as Obj;
    expect(meta.inputs).toEqual([{ name: "input", datatype: "BYTES", shape: [-1] }]);
    const infer = (data: string[]) =>
      fetch(`${ep.url}/v2/models/lite0/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          inputs: [
            { name: "input", datatype: "BYTES", shape: [data.length], parameters: { content_type: "base64" }, data },
          ],
        }),
      });
    const photos = ["coffee.png", "rocket.jpg"].map((p) => readFileSync(join(dir, p)).toString("base64"));
    const r = await infer(photos);
    expect(r.status).toBe(200);
    const out = ((await r.json()) as { outputs: { name: string; shape: number[]; data: string[] }[] }).outputs[0];
    expect(out?.shape).toEqual([2, 3]);
    expect(out?.data[0]).toMatch(/^0\.9\d{5}:967:espresso$/);
    expect(out?.data[3]).toMatch(/^0\.\d{6}:657:missile$/);

    const bad = await infer([Buffer.from("not a photo").toString("base64")]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Obj).error).toBe("input 'input' row 0 is not a JPEG or PNG image");
  });
});
