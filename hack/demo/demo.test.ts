// The demo's pure parts: flags, help, the one-demo-at-a-time lock, the state-version check, failure formatting.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { helpText, parseDemoArgs, UsageError } from "./cli.js";
import { acquireLock, Busy } from "./lock.js";
import { DEMO_STEPS } from "./plan.js";
import { formatConditions, podSelector } from "./report.js";
import { loadSample, SAMPLES_DIR } from "./samples.js";
import { checkState, STATE_VERSION, stampState } from "./state.js";
import { type DemoContext, runSteps, StepFailure } from "./steps.js";

describe("parseDemoArgs", () => {
  it("defaults to an encrypted demo on the local cluster, stopped on Ctrl-C", () => {
    expect(parseDemoArgs([])).toEqual({
      help: false,
      options: {
        encryption: true,
        keepCluster: false,
        reuseCluster: false,
        fresh: false,
        namespace: "liftoff-demo",
        exit: false,
      },
    });
  });

  it("reads every flag", () => {
    const p = parseDemoArgs(["--no-encryption", "--keep-cluster", "--namespace", "ns1", "--exit"]);
    expect(p).toMatchObject({
      options: { encryption: false, keepCluster: true, namespace: "ns1", exit: true },
    });
    expect(parseDemoArgs(["-h"])).toEqual({ help: true });
  });

  it("refuses unknown flags, bad namespaces and contradictory flags with a message", () => {
    expect(() => parseDemoArgs(["--bogus"])).toThrow(/Unknown option '--bogus'; npm start -- --help lists the flags/);
    expect(() => parseDemoArgs(["--namespace", "Bad_NS"])).toThrow(UsageError);
    expect(() => parseDemoArgs(["--reuse-cluster", "--fresh"])).toThrow(/cannot be combined with --reuse-cluster/);
  });
});

describe("helpText", () => {
  it("lists every step in order and every flag", () => {
    const text = helpText(DEMO_STEPS);
    DEMO_STEPS.forEach((s, i) => {
      expect(text).toContain(`${String(i + 1).padStart(2)}. ${s.name}`);
    });
    for (const flag of ["--no-encryption", "--keep-cluster", "--reuse-cluster", "--fresh", "--namespace", "--exit"]) {
      expect(text).toContain(flag);
    }
  });
});

describe("acquireLock", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "liftoff-lock-"));

  it("refuses a second holder while the first one lives, naming its pid", () => {
    const file = join(dir(), "demo.lock");
    const release = acquireLock(file);
    const other = spawn("sleep", ["30"]);
    try {
      expect(() => acquireLock(file, other.pid)).toThrow(Busy);
      expect(() => acquireLock(file, other.pid)).toThrow(`npm start is already running here (pid ${process.pid}`);
    } finally {
      other.kill();
    }
    release();
    const again = acquireLock(file, other.pid);
    again();
  });

  it("takes over a lock whose process is gone", () => {
    const file = join(dir(), "demo.lock");
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 7, since: "2026-01-01T00:00:00Z" }));
    const release = acquireLock(file);
    release();
  });
});

describe("checkState", () => {
  it("tells absent, current, older (unstamped) and newer state folders apart", () => {
    const root = mkdtempSync(join(tmpdir(), "liftoff-state-"));
    expect(checkState(join(root, "none"))).toEqual({ kind: "absent" });
    const old = join(root, "old");
    mkdirSync(old);
    expect(checkState(old)).toEqual({ kind: "older", found: 1 });
    stampState(old);
    expect(checkState(old)).toEqual({ kind: "current" });
    writeFileSync(join(old, "state-version"), `${STATE_VERSION + 1}\n`);
    expect(checkState(old)).toEqual({ kind: "newer", found: STATE_VERSION + 1 });
  });
});

describe("failure report", () => {
  it("formats conditions with reason and message, and says when there are none", () => {
    expect(
      formatConditions([
        { type: "Ready", status: "False", reason: "PrepareFailed", message: 'column "x" is missing' },
        { type: "Stalled", status: "True", reason: "PrepareFailed" },
      ]),
    ).toEqual(['Ready=False PrepareFailed: column "x" is missing', "Stalled=True PrepareFailed"]);
    expect(formatConditions([])[0]).toMatch(/no conditions yet/);
    const long = formatConditions([{ type: "Ready", status: "False", reason: "X", message: `a\nb${"c".repeat(400)}` }]);
    expect(long[0]).toMatch(/^Ready=False X: a ⏎ bc+…$/);
    expect(long[0]?.length).toBeLessThanOrEqual(260);
    expect(podSelector({ kind: "TrainingJob", namespace: "n", name: "penguins" })).toBe(
      "liftoff.dev/trainingjob=penguins",
    );
  });
});

function defaults(): DemoContext["options"] {
  const p = parseDemoArgs([]);
  if (p.help) throw new Error("unexpected help");
  return p.options;
}

describe("runSteps", () => {
  function context(lines: string[]): DemoContext {
    return {
      options: defaults(),
      log: (l) => lines.push(l),
      onCleanup: () => undefined,
      results: new Map(),
    };
  }

  it("prints a start and a timed done line per step, and stops at the first failure without a stack trace", async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const ok = await runSteps(
      [
        {
          name: "one",
          title: "the first",
          run: async () => {
            ran.push("one");
            return "fine";
          },
        },
        {
          name: "two",
          title: "the second",
          run: async () => {
            ran.push("two");
            throw new StepFailure("the thing broke");
          },
        },
        {
          name: "three",
          title: "never",
          run: async () => {
            ran.push("three");
            return undefined;
          },
        },
      ],
      context(lines),
    );
    expect(ok).toBe(false);
    expect(ran).toEqual(["one", "two"]);
    expect(lines[0]).toBe("demo: [1/3] one: the first ...");
    expect(lines[1]).toMatch(/^demo: \[1\/3\] one: done in \d+\.\ds \(fine\)$/);
    expect(lines[3]).toMatch(/^demo: \[2\/3\] two: failed after \d+\.\ds: the thing broke$/);
    expect(lines.join("\n")).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("config/samples/penguins", () => {
  it("is namespace-free and chains DataSet → TrainingJob → ModelDeployment by name", () => {
    for (const f of ["dataset", "trainingjob", "modeldeployment"]) {
      expect(readFileSync(join(SAMPLES_DIR, `${f}.yaml`), "utf8")).not.toMatch(/^\s*namespace:/m);
    }
    const ds = loadSample("dataset", "ns1");
    const tj = loadSample("trainingjob", "ns1");
    const mdep = loadSample("modeldeployment", "ns1");
    expect([ds.kind, tj.kind, mdep.kind]).toEqual(["DataSet", "TrainingJob", "ModelDeployment"]);
    expect(ds.metadata).toEqual({ name: "penguins", namespace: "ns1" });
    // biome-ignore lint/suspicious/noExplicitAny: free-form specs
    const [dss, tjs, ms] = [ds.spec, tj.spec, mdep.spec] as any[];
    expect(tjs.dataSetRef.name).toBe(ds.metadata.name);
    expect(ms.model.trainingJobRef.name).toBe(tj.metadata.name);
    // The DataSet is encrypted, so the drift baseline is the stats.json the trained model carries, not the DataSet's.
    expect(ms.monitoring.drift.baselineDataSetRef).toBeUndefined();
    expect(dss.encryption.transitKey).toBe("liftoff-datasets");
    // The API-key path follows the namespace the samples are applied to.
    expect(ms.auth.apiKeys.path).toBe("secret/data/ns1/penguins-api");
  });
});
