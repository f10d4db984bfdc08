// The first-use set-up runner: silent on a cache hit, start/done lines with estimates otherwise, failures named.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMPONENTS, componentsFor, type SetupComponent } from "./components.js";
import { formatDuration, heartbeatLine, readTimings } from "./progress.js";
import { runSetup } from "./run.js";

function component(name: string, check: string, command: string, estimateSeconds = 30): SetupComponent {
  return {
    name,
    title: `the ${name} thing`,
    check: ["bash", "-c", check],
    command: ["bash", "-c", command],
    estimateSeconds,
    targets: ["start"],
  };
}

async function run(components: SetupComponent[], cache = mkdtempSync(join(tmpdir(), "liftoff-setup-"))) {
  const lines: string[] = [];
  const ok = await runSetup(components, {
    log: (l) => lines.push(l),
    heartbeatMs: 200,
    env: { ...process.env, LIFTOFF_CACHE: cache },
  });
  return { ok, lines, cache };
}

describe("formatDuration", () => {
  it("writes seconds, then minutes and seconds", () => {
    expect([0.42, 8.4, 59.6, 65, 230].map(formatDuration)).toEqual(["0.4s", "8s", "1m00s", "1m05s", "3m50s"]);
  });
});

describe("heartbeatLine", () => {
  it("says how long is left, or that it runs past its usual time", () => {
    expect(heartbeatLine("control-plane", 60, 230)).toBe("setup: control-plane: 1m00s elapsed, about 2m50s to go");
    expect(heartbeatLine("control-plane", 240, 230)).toBe("setup: control-plane: 4m00s elapsed, past its usual 3m50s");
  });
});

describe("runSetup", () => {
  it("prints one line when everything is cached", async () => {
    const { ok, lines } = await run([component("a", "true", "exit 9"), component("b", "true", "exit 9")]);
    expect(ok).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^setup: ready in \d+\.\ds \(cached: a, b\)$/);
  });

  it("announces a component that has work to do, passes its lines through and records its time", async () => {
    const { ok, lines, cache } = await run([
      component("slow", "exit 1", "echo 'slow: step one' >&2; sleep 0.5; echo 'slow: step two' >&2", 75),
      component("cached", "true", "exit 9"),
    ]);
    expect(ok).toBe(true);
    expect(lines[0]).toBe("setup: slow: the slow thing; about 1m15s the first time, cached afterwards");
    expect(lines).toContain("slow: step one");
    expect(lines).toContain("slow: step two");
    expect(lines.some((l) => /^setup: slow: \d+\.\ds elapsed, about 1m1\ds to go$/.test(l))).toBe(true);
    expect(lines).toContainEqual(expect.stringMatching(/^setup: slow ready in 0\.\ds$/));
    expect(lines.at(-1)).toMatch(/^setup: ready in .* \(fetched or built slow; cached: cached\)$/);
    expect(readTimings(join(cache, "setup-timings.json"))).toEqual({ slow: 1 });
  });

  it("uses the last measured time as the next estimate", async () => {
    const cache = mkdtempSync(join(tmpdir(), "liftoff-setup-"));
    writeFileSync(join(cache, "setup-timings.json"), JSON.stringify({ slow: 125 }));
    const { lines } = await run([component("slow", "exit 1", "true", 75)], cache);
    expect(lines[0]).toContain("about 2m05s the first time");
  });

  it("fails naming the component and its exit, and keeps the other components' results", async () => {
    const { ok, lines, cache } = await run([
      component("broken", "exit 1", "echo 'broken: no network' >&2; exit 3"),
      component("fine", "exit 1", "true"),
    ]);
    expect(ok).toBe(false);
    expect(lines).toContain("broken: no network");
    expect(lines).toContainEqual(
      expect.stringMatching(/^setup: broken failed after \d\.\ds \(exit 3\); the lines above say why$/),
    );
    expect(lines.some((l) => l.startsWith("setup: ready"))).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(join(cache, "setup-timings.json"), "utf8")))).toEqual(["fine"]);
  });
});

describe("COMPONENTS", () => {
  it("gives every component a --check mode of the same script and a positive estimate", () => {
    for (const c of COMPONENTS) {
      // The same script and arguments, with --check right after the script.
      expect(c.check).toEqual([...c.command.slice(0, 2), "--check", ...c.command.slice(2)]);
      expect(c.estimateSeconds).toBeGreaterThan(0);
    }
    expect(componentsFor("start").map((c) => c.name)).toEqual([
      "libtensorflow",
      "control-plane",
      "kube-tools",
      "promtool",
      "prometheus",
      "metrics-server",
      "keda",
      "seaweedfs",
      "openbao",
    ]);
  });
});
