// `npm start -- --loop`'s steps on the test cluster (the steps the local cluster's own set-up covers aside): the
// penguins DataSet, TrainingJob and the ModelDeployment of config/samples/penguins-loop (capture + retrain), then
// concept drift with feedback, and the loop followed until the operator promotes the retrained model by itself.
import { afterAll, describe, expect, inject, it } from "vitest";
import { LOOP_STEPS } from "../../hack/demo/plan.js";
import { cluster, type DemoRun, runDemoSteps } from "../support/demo-run.js";
import { kubeConfig } from "../support/kube.js";
import { getModelDeployment } from "../support/operator.js";

const kc = kubeConfig(inject("kubeconfig"));
let run: DemoRun | undefined;

afterAll(async () => {
  await run?.close();
});

describe("npm start -- --loop's steps", () => {
  it("show one full loop on penguins: drifted labels → Degraded → retrain on original + captured rows → canary → promoted", {
    timeout: 900_000,
  }, async () => {
    run = await runDemoSteps(kc, "demo-loop", cluster(), { steps: LOOP_STEPS, args: ["--loop"] });
    const { lines, results, namespace, ok, steps } = run;
    // What the demo printed, with its timings, for the record (docs/loop.md shows a run).
    console.error(lines.join("\n"));
    expect(ok, lines.join("\n")).toBe(true);
    for (const step of steps) {
      expect(lines.some((l) => new RegExp(`^demo: \\[\\d+/\\d+\\] ${step.name}: done in \\d+\\.\\ds`).test(l))).toBe(
        true,
      );
    }
    // Each stage printed with its time since the loop step began, in order.
    const stages = lines.flatMap((l) => /^ {2} +\+\d+\.\ds {2}(\w+)/.exec(l)?.[1] ?? []);
    // (Watching first when the step began before the operator's next period saw Degraded.)
    expect([...new Set(stages)].filter((s) => s !== "Watching")).toEqual(["Retraining", "Canary", "Promoted"]);
    expect(lines.some((l) => /^ {2}lineage: data sha256:[0-9a-f]{64} \(\d+ captured rows/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}client: \d+ requests, 0 failed$/.test(l))).toBe(true);
    const m = await getModelDeployment(kc, namespace, "penguins");
    console.error(JSON.stringify(m.status.monitoring));
    expect(m.status.loop).toMatchObject({ stage: "Promoted", iteration: 1, trigger: { reason: "Degraded" } });
    expect(m.status.loop.lineage.capturedRows).toBeGreaterThanOrEqual(1500);
    // The API key never appears in what the demo printed.
    expect(lines.join("\n")).not.toContain(results.get("apiKey") as string);
  });
});
