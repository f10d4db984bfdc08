// `curves tsearch/NAME` through the command's run(), with a fake cluster that answers from the example search: what
// it asks the API server (the search, then its trials in one labelled list) and what it prints or writes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { pngSize } from "../chart/png.js";
import { digitsSearch } from "../chart/search-fixtures.js";
import type { FlagValues } from "../cli/args.js";
import { PluginError } from "../cli/errors.js";
import type { Invocation } from "../cli/invocation.js";
import type { KindInfo } from "../cli/kinds.js";
import type { Kube, KubeObject } from "../cli/kube.js";
import { curvesCommand } from "./curves.js";
import { run } from "./curves-run.js";

const dir = mkdtempSync(join(tmpdir(), "liftoff-search-curves-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeRun(positionals: string[], flags: FlagValues = {}, opts: { jobs?: boolean; succeedAfter?: number } = {}) {
  const { search, jobs } = digitsSearch();
  const asked: string[] = [];
  let reads = 0;
  const kube = {
    namespace: "demo",
    async getLiftoff(kind: KindInfo, name: string) {
      asked.push(`get ${kind.plural}/${name}`);
      if (kind.kind !== "TrainingSearch" || name !== "digits-search") {
        throw new PluginError("NotFound", `${kind.singular} "${name}" in namespace demo not found`);
      }
      // The search ends (Succeeded) at the given read: what --watch waits for.
      reads++;
      if (opts.succeedAfter !== undefined && reads >= opts.succeedAfter) {
        return { ...search, status: { ...search.status, phase: "Succeeded" } };
      }
      return search;
    },
    async listLiftoff(kind: KindInfo, namespace: string | null, selector?: string): Promise<KubeObject[]> {
      asked.push(`list ${kind.plural} in ${namespace} where ${selector}`);
      return opts.jobs === false ? [] : jobs;
    },
  } as unknown as Kube;
  const out: string[] = [];
  const notes: string[] = [];
  const inv: Invocation = {
    spec: curvesCommand,
    positionals,
    flags,
    term: {
      color: false,
      isTTY: false,
      columns: 100,
      rows: 24,
      write: (t) => void out.push(t),
      line: (t = "") => void out.push(`${t}\n`),
      note: (t) => void notes.push(t),
    },
    env: {},
    output: flags.output === "json" ? "json" : flags.output === "yaml" ? "yaml" : undefined,
    allNamespaces: false,
    kube: async () => kube,
    stopped: new Promise<void>(() => undefined),
    isStopped: () => false,
  };
  return { inv, asked, out, notes };
}

describe("kubectl liftoff curves tsearch/NAME", () => {
  it("reads the search, then its trials in one list by its label, and draws every trial", async () => {
    for (const ref of ["tsearch/digits-search", "trainingsearch/digits-search", "trainingsearches/digits-search"]) {
      const { inv, asked, out } = fakeRun([ref]);
      expect(await run(inv)).toBe(0);
      expect(asked).toEqual([
        "get trainingsearches/digits-search",
        "list trainingjobs in demo where liftoff.dev/trainingsearch=digits-search",
      ]);
      const text = out.join("");
      expect(text.split("\n")[0]).toMatch(/^trainingsearch\/digits-search {2}Running {2}best val_accuracy 0\.97/);
      expect(text).toContain("12/16 trials: 1 running, 4 stopped early, 6 done, 1 failed");
      expect(text).toMatch(/\n★ 2 +Succeeded/);
    }
  });

  it("-o json prints each trial's curve", async () => {
    const { inv, out } = fakeRun(["tsearch/digits-search"], { output: "json" });
    expect(await run(inv)).toBe(0);
    const doc = JSON.parse(out.join(""));
    expect(doc.trialCurves).toHaveLength(12);
    expect(doc.best.trial).toBe("digits-search-2");
    expect(doc.trialCurves[9].curve.map((p: { epoch: number }) => p.epoch)).toEqual([1, 2]);
  });

  it("--png writes the picture and says so on stderr", async () => {
    const file = join(dir, "search.png");
    const { inv, notes } = fakeRun(["tsearch/digits-search"], { png: file, size: "900x500" });
    expect(await run(inv)).toBe(0);
    expect(pngSize(readFileSync(file))).toEqual({ width: 900, height: 500 });
    expect(notes).toEqual([`wrote ${file} (900x500, 12 trials, epochs 1–20)`]);
  });

  it("refuses a PNG of a search with no epoch yet, and names a search that does not exist", async () => {
    const { inv } = fakeRun(["tsearch/digits-search"], { png: join(dir, "none.png") }, { jobs: false });
    await expect(run(inv)).rejects.toThrow(/^trainingsearch\/digits-search has no trial with a finished epoch yet$/);
    const missing = fakeRun(["tsearch/nope"]);
    await expect(run(missing.inv)).rejects.toThrow(/trainingsearch "nope" in namespace demo not found/);
  });

  it("--watch redraws when the search changes and ends by itself once it has ended", async () => {
    vi.useFakeTimers();
    try {
      const { inv, asked, out } = fakeRun(["tsearch/digits-search"], { watch: true }, { succeedAfter: 3 });
      const done = run(inv);
      await vi.advanceTimersByTimeAsync(2000); // second read: the same search, no new frame
      await vi.advanceTimersByTimeAsync(2000); // third read: Succeeded, a new frame, then the end
      expect(await done).toBe(0);
      expect(asked.filter((a) => a.startsWith("get "))).toHaveLength(3);
      const frames = out.join("").split("\n\ntrainingsearch/");
      expect(frames).toHaveLength(2);
      expect(frames[0]).toMatch(/^trainingsearch\/digits-search {2}Running /);
      expect(frames[1]).toMatch(/^digits-search {2}Succeeded /);
    } finally {
      vi.useRealTimers();
    }
  });

  it("still refuses kinds other than a TrainingJob or a TrainingSearch", async () => {
    const { inv } = fakeRun(["mdep/penguins"]);
    await expect(run(inv)).rejects.toThrow(/does not work on modeldeployment/);
  });
});
