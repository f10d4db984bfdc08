// Every invalid manifest in test/validation-cases.ts is refused by the real API server, naming the field.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiErrorMessage, kubeConfig, objectApi, testNamespace } from "../support/kube.js";
import { sample } from "../support/samples.js";
import { INVALID_CASES } from "../validation-cases.js";

const kc = kubeConfig(inject("kubeconfig"));
const api = objectApi(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;

beforeAll(async () => {
  ns = await testNamespace(kc, "validation");
});
afterAll(async () => {
  await ns.delete();
});

describe("the API server rejects invalid specs with a message naming the field", () => {
  it("has at least 20 cases", () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(20);
  });

  it("accepts a ModelDeployment serving a TrainingSearch, with capture and retrain defaulting to its best trial", async () => {
    const manifest = sample("ModelDeployment", ns.name, "search-served");
    manifest.spec.model = { trainingSearchRef: { name: "churn-search" } };
    manifest.spec.capture = { uri: "pvc://captures/churn" };
    manifest.spec.retrain = { triggers: { degraded: true } };
    manifest.spec.canary = { model: { trainingSearchRef: { name: "churn-search-2" } }, trafficPercent: 10 };
    const created = await api.create(manifest);
    expect(created.metadata?.name).toBe("search-served");
  });

  it.each(INVALID_CASES.map((c, i) => ({ ...c, i })))("$kind: $what", async (c) => {
    const name = `case-${c.i}`;
    const manifest = sample(c.kind, ns.name, name);
    if (c.on === "update") {
      const created = await api.create(structuredClone(manifest));
      manifest.metadata.resourceVersion = created.metadata?.resourceVersion;
    }
    c.mutate(manifest);
    const attempt = c.on === "create" ? api.create(manifest) : api.replace(manifest);
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => apiErrorMessage(e),
    );
    expect(err, "the API server accepted an invalid manifest").toBeDefined();
    expect(err?.code).toBe(422);
    expect(err?.message).toContain(`${c.field}:`);
    expect(err?.message).toContain(c.message);
  });
});
