// The demo's use of the kubectl plugin: what it prints for a run, and look-around lines that name only commands
// and flags the plugin has (a renamed command would otherwise leave the demo printing one that fails).
import { describe, expect, it } from "vitest";
import { GLOBAL_FLAGS } from "../../plugin/src/cli/flags.js";
import { COMMANDS, findCommand } from "../../plugin/src/commands/index.js";
import { penguinsPluginLines, pluginPathLines, shownRun } from "./plugin.js";
import { imageLookAroundStep } from "./steps/image.js";
import { llmLookAroundStep } from "./steps/llm.js";
import { lookAroundStep } from "./steps/look-around.js";
import { loopLookAroundStep } from "./steps/loop.js";
import type { DemoContext } from "./steps.js";

function context(lines: string[]): DemoContext {
  return {
    options: {
      sample: "penguins",
      storage: "pvc",
      encryption: true,
      keepCluster: false,
      reuseCluster: false,
      fresh: false,
      namespace: "ns1",
      exit: true,
      loop: false,
    },
    log: (l) => lines.push(l),
    onCleanup: () => undefined,
    results: new Map(),
    kubectl: "/bin/kubectl",
    kubeconfigPath: "/tmp/kubeconfig",
  };
}

describe("shownRun", () => {
  it("prints the command as typed, then its output and its error line indented", () => {
    expect(
      shownRun(["tree", "mdep/penguins", "-n", "ns1"], { code: 1, stdout: "a\nb\n", stderr: "error: x; y\n" }),
    ).toEqual(["$ kubectl liftoff tree mdep/penguins -n ns1", "  a", "  b", "  error: x; y"]);
    expect(shownRun(["curves", "tj/p"], { code: 0, stdout: "", stderr: "" })).toEqual([
      "$ kubectl liftoff curves tj/p",
    ]);
  });
});

describe("the look-around lines", () => {
  it("use the plugin's commands for the tree, curves, drift, predict and report", () => {
    const text = penguinsPluginLines("ns1").join("\n");
    for (const cmd of ["tree mdep/penguins", "curves tj/penguins", "drift mdep/penguins", "predict mdep/penguins"]) {
      expect(text).toContain(`kubectl liftoff ${cmd} -n ns1`);
    }
    expect(text).toContain("kubectl liftoff report mdep/penguins -n ns1");
  });

  it("name only commands and flags the plugin has, in every sample's look-around", async () => {
    const printed: string[] = [];
    for (const step of [lookAroundStep, imageLookAroundStep, llmLookAroundStep, loopLookAroundStep]) {
      await step.run(context(printed));
    }
    const lines = [...penguinsPluginLines("ns1"), ...pluginPathLines(), ...printed].join("\n");
    const used = [...lines.matchAll(/kubectl liftoff (\S+)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(4);
    for (const name of used) {
      const spec = findCommand(name);
      expect(spec, `${name} is not one of ${COMMANDS.map((c) => c.name).join(", ")}`).toBeDefined();
    }
    for (const m of lines.matchAll(/kubectl liftoff (\S+)([^#\n]*)/g)) {
      const spec = findCommand(m[1] as string);
      for (const [, flag] of (m[2] ?? "").matchAll(/ --?([a-zA-Z-]+)/g)) {
        const f = flag as string;
        const flags = Object.entries({ ...GLOBAL_FLAGS, ...spec?.flags });
        expect(
          flags.some(([name, s]) => name === f || s.short === f),
          `${m[1]} ${f}`,
        ).toBe(true);
      }
    }
  });

  it("the penguins step prints the plugin's commands, keeps raw kubectl only where the plugin has none, no key", async () => {
    const lines: string[] = [];
    await lookAroundStep.run(context(lines));
    const text = lines.join("\n");
    expect(text).toContain("export KUBECONFIG=/tmp/kubeconfig");
    expect(text).toMatch(/export PATH=.*plugin\/dist\/bin:\$PATH .*npm run plugin:install/);
    expect(text).toContain("kubectl liftoff tree mdep/penguins -n ns1");
    expect(text).not.toMatch(/curl|Authorization|-o yaml/);
    expect(lines.filter((l) => l.includes("/bin/kubectl get")).length).toBeLessThanOrEqual(2);
  });
});
