// The image sample end to end on the local cluster (issue #25 "Done when"): EfficientNet-Lite0 as
// hack/build-image-model.sh builds it (PyTorch-exported ONNX, its labels beside it) is put on a PersistentVolumeClaim,
// config/samples/liftoff_v1alpha1_modeldeployment_image.yaml serves it with declared image preprocessing and top-5,
// and four real photos, sent as the files they are, come back with the expected top-1 through TF Serving's gRPC
// client (signature_name set, string_val), tritonclient HTTP (binary BYTES) and gRPC, and V1 REST ({"b64": ...}).
// Bad files through the Service are a 400 that names the input.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { type Endpoint, serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { hackScriptLines, python, ROOT } from "../clients/support.js";
import { kubeConfig, type Obj, readYamlFile } from "../support/kube.js";
import { getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "image-e2e", { flags: ["--leader-elect=false"], restricted: true });
const SAMPLE = join(ROOT, "config/samples/liftoff_v1alpha1_modeldeployment_image.yaml");
const NAME = "efficientnet";

/** Picture → the ImageNet-1k classes its top-1 may be (labels.txt line = index + 1). */
const PICTURES: [string, number[]][] = [
  ["chelsea.png", [285, 282, 281]], // Egyptian cat, tiger cat, tabby
  ["coffee.png", [967]], // espresso
  ["rocket.jpg", [657]], // missile
  ["motorcycle_left.png", [665]], // moped
];

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

/** "0.8123:285:Egyptian cat" → its class index and score (Triton's classification format). */
function parseTop(s: string): { score: number; index: number; label: string } {
  const [score, index, ...label] = s.split(":");
  return { score: Number(score), index: Number(index), label: label.join(":") };
}

/** Each picture's top-5 must be five descending scores with the expected class first. */
function expectTop1(top: string[][], via: string): void {
  expect(top, via).toHaveLength(PICTURES.length);
  PICTURES.forEach(([file, classes], row) => {
    const parsed = (top[row] ?? []).map(parseTop);
    expect(parsed, `${via}: ${file}`).toHaveLength(5);
    for (let i = 1; i < parsed.length; i++)
      expect(parsed[i]?.score, `${via}: ${file} scores descend`).toBeLessThanOrEqual(parsed[i - 1]?.score ?? 0);
    expect(classes, `${via}: ${file} top-1 is ${top[row]?.[0]}`).toContain(parsed[0]?.index);
  });
}

describe("the image sample (EfficientNet-Lite0, declared preprocessing and top-5) on the cluster", () => {
  let dir = "";
  let py = "";
  let http: Endpoint;
  let grpc: Endpoint;

  it("deploys from a PVC with its digest and the labels' digest: Ready", { timeout: 600_000 }, async () => {
    [dir = ""] = await hackScriptLines("hack/build-image-model.sh");
    [py = ""] = await hackScriptLines("hack/test-venv.sh");
    const folder = join(await claimHostFolder(admin, fx.ns.name, "models"), "efficientnet-lite0");
    mkdirSync(folder, { recursive: true });
    for (const f of ["model.onnx", "labels.txt"]) copyFileSync(join(dir, f), join(folder, f));
    const [mdep] = readYamlFile<Obj>(SAMPLE);
    if (mdep === undefined) throw new Error(`${SAMPLE} is empty`);
    mdep.metadata.namespace = fx.ns.name;
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: fx.ns.name,
      plural: "modeldeployments",
      body: mdep,
    });
    const ready = await pollUntil(
      `${NAME} Ready`,
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, NAME);
        const r = cond(m, "Ready");
        if (m.status?.observedGeneration === m.metadata.generation && r?.status === "True") return m;
        // Thrown, not returned: the timeout's message then says why it is not Ready (a crash, a digest, a label).
        throw new Error(`Ready=${r?.status} ${r?.reason}: ${r?.message}`);
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");
    http = await serviceEndpoint(admin, fx.ns.name, NAME);
    grpc = await serviceEndpoint(admin, fx.ns.name, NAME, { port: "grpc" });

    // What clients see: the file as a BYTES input, the top-5 as a BYTES output.
    const meta = (await (await fetch(`${http.url}/v2/models/${NAME}`)).json()) as Obj;
    expect(meta.inputs).toEqual([{ name: "input", datatype: "BYTES", shape: [-1] }]);
    expect(meta.outputs).toEqual([{ name: "logits", datatype: "BYTES", shape: [-1, 5] }]);
  });

  const pictures = () => PICTURES.map(([file]) => join(dir, file));
  const client = async (kind: string, addr: string): Promise<string[][]> =>
    (
      JSON.parse(
        await python(py, ["test/clients/image_sample_clients.py", kind, addr, NAME, "input", "logits", ...pictures()]),
      ) as {
        top: string[][];
      }
    ).top;

  it("TF Serving's gRPC client (signature_name serving_default, the files as string_val): right top-1", {
    timeout: 120_000,
  }, async () => {
    expectTop1(await client("tfserving-grpc", `${grpc.ip}:${grpc.port}`), "tfserving-grpc");
  });

  it("tritonclient HTTP (binary BYTES) and gRPC: right top-1", { timeout: 120_000 }, async () => {
    expectTop1(await client("triton-http", `${http.ip}:${http.port}`), "triton-http");
    expectTop1(await client("triton-grpc", `${grpc.ip}:${grpc.port}`), "triton-grpc");
  });

  it('V1 REST with {"b64": ...} instances, as TF Serving\'s REST takes binary: right top-1', async () => {
    const instances = pictures().map((p) => ({ b64: readFileSync(p).toString("base64") }));
    const r = await fetch(`${http.url}/v1/models/${NAME}:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances }),
    });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    expectTop1((JSON.parse(text) as { predictions: string[][] }).predictions, "v1-rest");
  });

  it("an undecodable file and a truncated PNG through the Service: 400 naming the input", async () => {
    const png = readFileSync(join(dir, "chelsea.png"));
    const cases: [string, Buffer, RegExp][] = [
      ["undecodable", Buffer.from("this is not a picture at all"), /input 'input'.*not a JPEG or PNG/],
      ["truncated PNG", png.subarray(0, Math.floor(png.length / 2)), /input 'input'.*cannot be decoded/],
    ];
    for (const [what, bytes, message] of cases) {
      const r = await fetch(`${http.url}/v1/models/${NAME}:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [{ b64: bytes.toString("base64") }] }),
      });
      const text = await r.text();
      expect(r.status, `${what}: ${text}`).toBe(400);
      expect((JSON.parse(text) as { error: string }).error, what).toMatch(message);
    }
    // The pod served on: a good picture right after the bad ones still answers.
    const ok = await fetch(`${http.url}/v1/models/${NAME}:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [{ b64: png.toString("base64") }] }),
    });
    expect(ok.status).toBe(200);
  });
});
