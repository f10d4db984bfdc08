// End to end on the local cluster with a SavedModel written by TensorFlow (test/clients/savedmodel_reference.py, the
// clients venv): the folder is placed on a PersistentVolumeClaim, a ModelDeployment with `format: tf-savedmodel`,
// its `by_id` signature and the folder's digest serves it, and V2 and TF Serving REST answers through the Service
// equal what TensorFlow computed. A deployment naming a signature the SavedModel lacks is reported with the ones it has.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { python, venvPython } from "../clients/support.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "savedmodel-e2e", { flags: ["--leader-elect=false"], restricted: true });

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

interface Named {
  shape: number[];
  dtype: string;
  data: number[];
}

describe("ModelDeployment with format tf-savedmodel", () => {
  it("serves a TensorFlow-written SavedModel's by_id signature from a PVC, equal to TensorFlow; a missing signature is named", {
    timeout: 300_000,
  }, async () => {
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    const model = join(folder, "classifier");
    const ref = JSON.parse(await python(await venvPython(), ["test/clients/savedmodel_reference.py", model])) as Record<
      string,
      { inputs: Record<string, Named>; outputs: Record<string, Named> }
    >;
    // The digest as docs/models.md tells a user to compute it.
    const { stdout } = await promisify(execFile)("bash", [
      "-c",
      '(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum',
      "_",
      model,
    ]);
    const digest = `sha256:${stdout.split(" ")[0]}`;
    await createModelDeployment(admin, fx.ns.name, "classifier", {
      model: {
        uri: "pvc://models/classifier",
        format: "tf-savedmodel",
        savedModel: { tags: ["serve"], signature: "by_id" },
        digest,
      },
      replicas: 1,
      resources: { cpu: "1", memory: "1Gi" },
    });
    await createModelDeployment(admin, fx.ns.name, "nosig", {
      model: { uri: "pvc://models/classifier", format: "tf-savedmodel", savedModel: { signature: "predict" } },
      replicas: 1,
      resources: { cpu: "1", memory: "1Gi" },
    });
    const ready = await pollUntil(
      "classifier Ready",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "classifier");
        return m.status?.observedGeneration === m.metadata.generation && cond(m, "Ready")?.status === "True"
          ? m
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    expect(cond(ready, "ModelLoaded")?.status).toBe("True");

    const ep = await serviceEndpoint(admin, fx.ns.name, "classifier");
    const meta = (await (await fetch(`${ep.url}/v2/models/classifier`)).json()) as Obj;
    expect(meta.platform).toBe("tensorflow_savedmodel");
    expect(meta.parameters.digest).toBe(digest);
    expect(meta.inputs.map((i: Obj) => [i.name, i.datatype, i.shape])).toEqual([
      ["ids", "INT64", [-1, 4]],
      ["mask", "BOOL", [-1, 4]],
    ]);

    const by = ref.by_id as { inputs: Record<string, Named>; outputs: Record<string, Named> };
    const ids = by.inputs.ids as Named;
    const mask = by.inputs.mask as Named;
    const r = await fetch(`${ep.url}/v2/models/classifier/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [
          { name: "ids", datatype: "INT64", shape: ids.shape, data: ids.data },
          { name: "mask", datatype: "BOOL", shape: mask.shape, data: mask.data.map((v) => v === 1) },
        ],
      }),
    });
    expect(r.status).toBe(200);
    const outs = ((await r.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] }).outputs;
    const pooled = outs.find((o) => o.name === "pooled");
    const want = by.outputs.pooled as Named;
    expect(pooled?.shape).toEqual(want.shape);
    const worst = Math.max(...(pooled?.data ?? []).map((v, i) => Math.abs(v - (want.data[i] as number))));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(outs.find((o) => o.name === "shifted")?.data).toEqual((by.outputs.shifted as Named).data);

    // TF Serving REST with signature_name: the served one answers, the SavedModel's other one is named.
    const v1 = (signature: string) =>
      fetch(`${ep.url}/v1/models/classifier:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          signature_name: signature,
          instances: [{ ids: [1, 2, 3, 4], mask: [true, true, true, true] }],
        }),
      });
    const ok = await v1("by_id");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { predictions: { shifted: number[] }[] }).predictions[0]?.shifted).toEqual([
      4, 7, 10, 13,
    ]);
    const other = await v1("serving_default");
    expect(other.status).toBe(400);
    expect(((await other.json()) as { error: string }).error).toMatch(
      /has only 'by_id' \(its SavedModel also has 'any_rank', 'serving_default'/,
    );

    const failed = await pollUntil(
      "nosig Degraded",
      async () => {
        const m = await getModelDeployment(admin, fx.ns.name, "nosig");
        return cond(m, "Degraded")?.status === "True" ? m : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    expect(cond(failed, "Ready")?.status).toBe("False");
    expect(cond(failed, "ModelLoaded")?.message).toMatch(
      /the SavedModel has no signature 'predict' under tags \[serve\]; it has 'any_rank', 'by_id', 'serving_default'/,
    );
  });
});
