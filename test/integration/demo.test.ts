// npm start's steps, end to end, on the test cluster: the same step code and the same samples
// (config/samples/penguins/) as the demo, in a namespace of the test's own, with encryption on: the DataSet is
// sealed with an OpenBao transit data key and the TrainingJob's pod unwraps it to train. Steps that need the local
// cluster's own set-up (setup, build, cluster) are what the test run's global setup already did; the inspect step
// runs the kubectl plugin's bundle, which npm test's `npm run build` makes (npm run build:plugin by hand).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { DEMO_STEPS } from "../../hack/demo/plan.js";
import { cluster, type DemoRun, runDemoSteps } from "../support/demo-run.js";
import { kubeConfig } from "../support/kube.js";

const kc = kubeConfig(inject("kubeconfig"));
let run: DemoRun | undefined;

afterAll(async () => {
  await run?.close();
});

describe("npm start's steps", () => {
  it("take the penguins CSV to a trained, key-protected model that predicts the test split and reports drift", {
    timeout: 600_000,
  }, async () => {
    run = await runDemoSteps(kc, "demo", cluster(), { steps: DEMO_STEPS });
    const { lines, results, namespace } = run;
    expect(run.ok, lines.join("\n")).toBe(true);
    // Every step printed its start and a timed done line.
    for (const step of run.steps) {
      expect(lines.some((l) => new RegExp(`^demo: \\[\\d+/\\d+\\] ${step.name}: done in \\d+\\.\\ds`).test(l))).toBe(
        true,
      );
    }
    // biome-ignore lint/suspicious/noExplicitAny: status read back
    const ds = results.get("dataset") as any;
    expect(ds.status.rows).toMatchObject({ read: 344, dropped: 11, total: 333 });
    expect(ds.status.rows.train + ds.status.rows.validation + ds.status.rows.test).toBe(333);
    // Encrypted on the claim: every file but the manifest is sealed, and none holds a raw value.
    const version = join(
      await claimHostFolder(kc, namespace, "liftoff-data"),
      "datasets/penguins",
      ds.status.digest.slice(7),
    );
    const manifest = JSON.parse(readFileSync(join(version, "manifest.json"), "utf8"));
    expect(manifest.encryption.transitKey).toBe("liftoff-datasets");
    for (const f of manifest.files) {
      expect(f.path).toMatch(/\.enc$/);
      expect(readFileSync(join(version, f.path)).includes("Biscoe"), f.path).toBe(false);
    }
    expect(lines.some((l) => /data-keys: done in .*roles liftoff-dataset \(datakey \+ decrypt\)/.test(l))).toBe(true);
    // The training was followed through status.progress, epoch by epoch.
    const progress = results.get("progress") as { epoch: number }[];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((p) => p.epoch)).toEqual([...progress.map((p) => p.epoch)].sort((a, b) => a - b));
    // A real, trained accuracy on the test split's raw records.
    expect(results.get("accuracy")).toBeGreaterThanOrEqual(0.95);
    expect(lines.some((l) => /no-key: done in .*HTTP 401 LIFTOFF_ERR_UNAUTHENTICATED/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}Drifted=True DriftDetected: /.test(l))).toBe(true);
    // The inspect step ran the real plugin through kubectl: the lineage tree, then the training curve.
    const shown = (cmd: string) => {
      const at = lines.indexOf(`  $ kubectl liftoff ${cmd} -n ${namespace}`);
      expect(at, `${cmd} not shown:\n${lines.join("\n")}`).toBeGreaterThanOrEqual(0);
      const out: string[] = [];
      for (const l of lines.slice(at + 1)) {
        if (!l.startsWith("    ")) break;
        out.push(l.slice(4));
      }
      return out.join("\n");
    };
    const tree = shown("tree mdep/penguins");
    // The failing node first: the drift the previous step caused, then the lineage down to the serving pod.
    expect(tree).toMatch(/^⚠ modeldeployment\/penguins: DriftDetected — /);
    for (const node of [
      "dataset/penguins",
      "└── trainingjob/penguins",
      "└── modeldeployment/penguins",
      "└── track/stable",
    ]) {
      expect(tree).toContain(node);
    }
    expect(tree).toMatch(/└── pod\/penguins-predictor-\S+ +✔ Ready/);
    const curves = shown("curves tj/penguins");
    expect(curves).toMatch(/[\u2801-\u28ff]/); // braille dots: the chart
    expect(curves).toMatch(/^trainingjob\/penguins +Succeeded +epoch (\d+)\/\1 +best val_accuracy /);
    expect(curves).toMatch(/━━ loss +━━ val_loss/);
    // The look-around step prints the plugin's commands, not curl with a key.
    expect(
      lines.some((l) => l.startsWith(`  kubectl liftoff predict mdep/penguins -n ${namespace} --record island=`)),
    ).toBe(true);
    // The API key never appears in what the demo printed.
    expect(lines.join("\n")).not.toContain(results.get("apiKey") as string);
  });
});
