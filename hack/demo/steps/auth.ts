// Steps: the serving API key planted in OpenBao before the deployment, and a request without it refused after.

import { loadSample } from "../samples.js";
import { need, type Step, StepFailure } from "../steps.js";
import { plantApiKey } from "../vault.js";

export const apiKeyStep: Step = {
  name: "api-key",
  title: "plant a fresh API key in OpenBao and the serving pods' Vault role (spec.auth reads it from there)",
  async run(ctx) {
    if (ctx.options.reuseCluster)
      return "skipped: on another cluster, plant the key in its Vault yourself (docs/vault.md)";
    const mdep = loadSample("modeldeployment", ctx.options.namespace);
    // biome-ignore lint/suspicious/noExplicitAny: sample spec
    const ref = (mdep.spec as any).auth.apiKeys as { path: string; key: string };
    const key = await plantApiKey(need(ctx.clusterName, "the local cluster"), {
      namespace: ctx.options.namespace,
      modelDeployment: mdep.metadata.name,
      ...ref,
    });
    ctx.results.set("apiKey", key);
    return `${ref.path} (key "${ref.key}"); the key itself is never printed or stored in Kubernetes`;
  },
};

export const refusedStep: Step = {
  name: "no-key",
  title: "send a prediction without the API key: it must be refused",
  async run(ctx) {
    if (ctx.options.reuseCluster) return "skipped";
    const url = need(ctx.results.get("endpoint") as string | undefined, "the endpoint");
    const res = await fetch(`${url}/v1/models/penguins:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [{ island: "Biscoe" }] }),
    });
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    if (res.status !== 401) throw new StepFailure(`expected HTTP 401 without a key, got ${res.status}`);
    return `HTTP 401 ${body.code ?? ""}`.trim();
  },
};
