// End to end on the local cluster: the operator deploys the real runtime (runtime/dist, run by the node agent),
// the model comes from a PersistentVolumeClaim, and a prediction goes through the pod the Service selects.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { saveLayersModel, tinyDense, tinyDenseExpected } from "../../runtime/src/serve/test-helpers.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
// Restricted: the API server's PodSecurity admission would refuse a serving pod below the standard.
const fx = operatorFixture(admin, "mdep-e2e", { flags: ["--leader-elect=false"], restricted: true });

const createMdep = (name: string, uri: string) =>
  createModelDeployment(admin, fx.ns.name, name, {
    model: { uri },
    replicas: 1,
    resources: { cpu: "500m", memory: "512Mi" },
  });

async function waitMdep(name: string, what: string, test: (m: Obj) => boolean, timeoutMs = 120_000): Promise<Obj> {
  return pollUntil(
    `${name}: ${what}`,
    async () => {
      const m = await getModelDeployment(admin, fx.ns.name, name);
      return m.status?.observedGeneration === m.metadata.generation && test(m) ? m : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

describe("ModelDeployment end to end", () => {
  it("becomes Ready and serves predictions from a model on a PVC", { timeout: 180_000 }, async () => {
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "tiny"), { recursive: true });
    await saveLayersModel(tinyDense(), join(folder, "tiny"));
    await createMdep("tiny", "pvc://models/tiny/model.json");

    const ready = await waitMdep("tiny", "Ready", (m) => cond(m, "Ready")?.status === "True");
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");
    expect(ready.status.readyReplicas).toBe(1);

    const ep = await serviceEndpoint(admin, fx.ns.name, "tiny");
    const row = [1, 2, 3];
    const v1 = await fetch(`${ep.url}/v1/models/tiny:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [row] }),
    });
    expect(v1.status).toBe(200);
    const body = (await v1.json()) as { predictions: number[][] };
    const expected = tinyDenseExpected(row);
    expect(body.predictions[0]?.length).toBe(expected.length);
    for (const [i, v] of (body.predictions[0] ?? []).entries()) expect(v).toBeCloseTo(expected[i] ?? Number.NaN, 4);

    const meta = await fetch(`${ep.url}/v2/models/tiny`);
    expect(meta.status).toBe(200);
    const wrong = await fetch(`${ep.url}/v1/models/tiny:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [[1, 2, 3, 4]] }),
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBeTypeOf("string");
  });

  it("reports a model that fails to load with the pod's reason, message and exit code", {
    timeout: 180_000,
  }, async () => {
    await createMdep("broken", "pvc://models/missing/model.json");
    const failed = await waitMdep("broken", "Degraded", (m) => cond(m, "Degraded")?.status === "True");
    expect(cond(failed, "Ready")?.status).toBe("False");
    expect(failed.status.lastFailure.exitCode).not.toBe(0);
    expect(failed.status.lastFailure.message).toMatch(/model path does not exist/);
    expect(cond(failed, "Ready")?.message).toMatch(/^pod broken-predictor-[a-z0-9]+-[a-z0-9]+: /);
    // One line naming the model as the spec does, no runtime flags, no log lines.
    expect(cond(failed, "Ready")?.message).toMatch(
      /: cannot load model pvc:\/\/models\/missing\/model\.json: the model path does not exist: \S+ \(exit code \d+\)$/,
    );
    expect(cond(failed, "Ready")?.message).not.toMatch(/--model-uri|\n/);
  });
});
