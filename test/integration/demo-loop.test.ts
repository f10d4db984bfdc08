// `npm start -- --loop`'s steps on the test cluster (the steps the local cluster's own set-up covers aside): the
// penguins DataSet, TrainingJob and the ModelDeployment of config/samples/penguins-loop (capture + retrain), then
// concept drift with feedback, and the loop followed until the operator promotes the retrained model by itself.
import { afterAll, describe, expect, inject, it } from "vitest";
import { parseDemoArgs } from "../../hack/demo/cli.js";
import { LOOP_STEPS } from "../../hack/demo/plan.js";
import { type DemoContext, runSteps } from "../../hack/demo/steps.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { getModelDeployment } from "../support/operator.js";

const kc = kubeConfig(inject("kubeconfig"));
const lines: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
let ns: Awaited<ReturnType<typeof testNamespace>> | undefined;

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
  await ns?.delete();
});

describe("npm start -- --loop's steps", () => {
  it("show one full loop on penguins: drifted labels → Degraded → retrain on original + captured rows → canary → promoted", {
    timeout: 900_000,
  }, async () => {
    ns = await testNamespace(kc, "demo-loop");
    const parsed = parseDemoArgs(["--loop", "--namespace", ns.name, "--exit"]);
    if (parsed.help) throw new Error("unexpected --help");
    const ctx: DemoContext = {
      options: parsed.options,
      log: (l) => lines.push(l),
      onCleanup: (_what, fn) => cleanups.push(fn),
      results: new Map(),
      kc,
      clusterName: inject("clusterName"),
      kubeconfigPath: inject("kubeconfig"),
      kubectl: inject("kubectl"),
    };
    const skip = new Set(["setup", "build", "cluster"]);
    const steps = LOOP_STEPS.filter((s) => !skip.has(s.name));
    const ok = await runSteps(steps, ctx);
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
    const m = await getModelDeployment(kc, ns.name, "penguins");
    console.error(JSON.stringify(m.status.monitoring));
    expect(m.status.loop).toMatchObject({ stage: "Promoted", iteration: 1, trigger: { reason: "Degraded" } });
    expect(m.status.loop.lineage.capturedRows).toBeGreaterThanOrEqual(1500);
    // The API key never appears in what the demo printed.
    expect(lines.join("\n")).not.toContain(ctx.results.get("apiKey") as string);
  });
});
