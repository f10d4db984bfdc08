// `npm start -- --sample image`: a real pretrained image classifier (EfficientNet-Lite0, PyTorch-exported ONNX) put
// on a claim, served by config/samples/liftoff_v1alpha1_modeldeployment_image.yaml (declared image preprocessing and
// top-5 with labels) and asked to classify real photos through TF Serving's gRPC client and tritonclient.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../../devcluster/node-agent/service-endpoint.js";
import { COMPONENTS } from "../../setup/components.js";
import { runSetup } from "../../setup/run.js";
import { applyObject, type LiftoffObject, waitForCondition } from "../kube.js";
import { pluginPathLines } from "../plugin.js";
import { need, type Step, StepFailure } from "../steps.js";
import { sampleResetStep } from "./sample-reset.js";

const IMAGE_SAMPLE = join(REPO_ROOT, "config", "samples", "liftoff_v1alpha1_modeldeployment_image.yaml");
const NAME = "efficientnet";
const ref = (namespace: string) => ({ kind: "ModelDeployment", namespace, name: NAME }) as const;
/** The hack/ scripts the sample needs beyond `npm start`'s set-up (the model is exported by PyTorch's venv). */
export const IMAGE_COMPONENTS = ["test-venv", "torch-venv", "image-model"];
/** Which client classifies which photos (all four photos come with the model). */
const CALLS: { kind: string; title: string; pictures: string[] }[] = [
  {
    kind: "tfserving-grpc",
    title: "TF Serving's gRPC client (Predict, signature_name serving_default, the file as string_val)",
    pictures: ["chelsea.png", "rocket.jpg"],
  },
  {
    kind: "triton-http",
    title: "tritonclient HTTP (the file as binary BYTES)",
    pictures: ["coffee.png", "motorcycle_left.png"],
  },
];

export function loadImageSample(namespace: string): LiftoffObject {
  const obj = parse(readFileSync(IMAGE_SAMPLE, "utf8")) as LiftoffObject;
  obj.metadata.namespace = namespace;
  return obj;
}

/** The one line a hack/ script prints on stdout once what it makes is there (a folder, a python). */
export function scriptLine(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [join(REPO_ROOT, script)], { cwd: REPO_ROOT }, (err, stdout, stderr) =>
      err ? reject(new StepFailure(`${script} failed: ${stderr.trim().split("\n").pop()}`)) : resolve(stdout.trim()),
    );
  });
}

export const imageResetStep: Step = sampleResetStep(NAME);

export const imageModelStep: Step = {
  name: "image-model",
  title: "build or reuse EfficientNet-Lite0 (hack/build-image-model.sh) and put it and its labels on the claim models",
  async run(ctx) {
    const wanted = COMPONENTS.filter((c) => IMAGE_COMPONENTS.includes(c.name));
    const ok = await runSetup(wanted, { log: (l) => ctx.log(`  ${l}`) });
    if (!ok) throw new StepFailure("set-up of the image model failed (see the lines above)");
    const dir = await scriptLine("hack/build-image-model.sh");
    ctx.results.set("imageDir", dir);
    ctx.results.set("clientsPython", await scriptLine("hack/test-venv.sh"));
    const folder = join(
      await claimHostFolder(need(ctx.kc, "the cluster"), ctx.options.namespace, "models"),
      "efficientnet-lite0",
    );
    mkdirSync(folder, { recursive: true });
    for (const f of ["model.onnx", "labels.txt"]) copyFileSync(join(dir, f), join(folder, f));
    return "pvc://models/efficientnet-lite0/{model.onnx,labels.txt}";
  },
};

export const imageDeployStep: Step = {
  name: "deploy",
  title: "apply the ModelDeployment (config/samples/liftoff_v1alpha1_modeldeployment_image.yaml) and wait until Ready",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    await applyObject(kc, loadImageSample(ctx.options.namespace));
    await waitForCondition(kc, ref(ctx.options.namespace), "Ready", { timeoutMs: 240_000 });
    const http = await serviceEndpoint(kc, ctx.options.namespace, NAME);
    const grpc = await serviceEndpoint(kc, ctx.options.namespace, NAME, { port: "grpc" });
    ctx.results.set("endpoint", http.url);
    ctx.results.set("httpAddress", `${http.ip}:${http.port}`);
    ctx.results.set("grpcAddress", `${grpc.ip}:${grpc.port}`);
    return `serving at ${http.url} (gRPC ${grpc.ip}:${grpc.port}) from pod ${http.pod}`;
  },
};

/** "0.8123:285:Egyptian cat" as a line of the demo's output: score, class index, label (pure). */
export function topLine(entry: string): string {
  const [score, index, ...label] = entry.split(":");
  return `${Number(score).toFixed(4)}  ${String(index).padStart(3)}  ${label.join(":")}`;
}

/** Runs test/clients/image_sample_clients.py (the official clients) on some photos; the top-5 per photo. */
function classify(py: string, kind: string, addr: string, pictures: string[], ns: string): Promise<string[][]> {
  const args = ["test/clients/image_sample_clients.py", kind, addr, NAME, "input", "logits", ...pictures];
  return new Promise((resolve, reject) => {
    execFile(py, args, { cwd: REPO_ROOT, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" } }, (err, stdout, stderr) =>
      err
        ? reject(new StepFailure(`${kind}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`, ref(ns)))
        : resolve((JSON.parse(stdout) as { top: string[][] }).top),
    );
  });
}

export const classifyStep: Step = {
  name: "classify",
  milestone: "first classification",
  title: "classify real photos through TF Serving's gRPC client and tritonclient, printing each top-5",
  async run(ctx) {
    const dir = need(ctx.results.get("imageDir") as string | undefined, "the image model's folder");
    const py = need(ctx.results.get("clientsPython") as string | undefined, "the clients' python");
    const address = {
      "tfserving-grpc": need(ctx.results.get("grpcAddress") as string | undefined, "the gRPC address"),
      "triton-http": need(ctx.results.get("httpAddress") as string | undefined, "the HTTP address"),
    } as Record<string, string>;
    const top1: string[] = [];
    for (const call of CALLS) {
      const pictures = call.pictures.map((p) => join(dir, p));
      const answers = await classify(py, call.kind, address[call.kind] as string, pictures, ctx.options.namespace);
      ctx.log(`  ${call.title}:`);
      call.pictures.forEach((picture, i) => {
        ctx.log(`    ${picture}:`);
        for (const entry of answers[i] ?? []) ctx.log(`      ${topLine(entry)}`);
        top1.push(`${picture} → ${(answers[i]?.[0] ?? "").split(":").slice(2).join(":")}`);
      });
    }
    return top1.join("; ");
  },
};

export const imageLookAroundStep: Step = {
  name: "look-around",
  title: "print the commands to look around with",
  async run(ctx) {
    const ns = ctx.options.namespace;
    const kubectl = need(ctx.kubectl, "kubectl");
    const url = ctx.results.get("endpoint") as string | undefined;
    const lines = [
      `export KUBECONFIG=${need(ctx.kubeconfigPath, "the kubeconfig")}`,
      ...pluginPathLines(),
      `kubectl liftoff tree mdep/${NAME} -n ${ns} -w   # the ModelDeployment and its pods, each with its state, live`,
      `kubectl liftoff report mdep/${NAME} -n ${ns}    # a support bundle (zip), secrets redacted`,
      `${kubectl} get mdep ${NAME} -n ${ns} -o yaml  # spec.model.preprocessing / postprocessing`,
    ];
    if (url) {
      const photo = join(
        need(ctx.results.get("imageDir") as string | undefined, "the image model's folder"),
        "coffee.png",
      );
      // The body on stdin: a photo's base64 is too long for one command-line argument.
      lines.push(
        `(printf '{"instances": [{"b64": "'; base64 -w0 ${photo}; printf '"}]}') | curl -s ${url}/v1/models/${NAME}:predict --data-binary @-`,
      );
    }
    for (const l of lines) ctx.log(`  ${l}`);
    return undefined;
  },
};
