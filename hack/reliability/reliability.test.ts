// The fault suite's pure parts: flags, the table and its exit status, load windows, the RSS slope, and how version
// folders are told apart (complete, half-written, staging).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAULTS, HELP, parseReliabilityArgs, UsageError } from "./cli.js";
import { type Sample, windowOf } from "./load.js";
import { scanForMarker } from "./plaintext.js";
import { slope } from "./stats.js";
import { exitCode, notRun, type Row, renderTable } from "./table.js";
import { versions } from "./versions.js";

describe("flags", () => {
  it("default to every fault in order, a 30-minute soak and a fresh cluster", () => {
    const p = parseReliabilityArgs([]);
    expect(p).toEqual({
      help: false,
      options: {
        only: [...FAULTS],
        soakMinutes: 30,
        rate: 40,
        reuseCluster: false,
        keepCluster: false,
        cluster: "reliability",
      },
    });
  });

  it("--only keeps the suite's order; --soak-minutes is read", () => {
    const p = parseReliabilityArgs(["--only", "fuzz,rolling-update", "--soak-minutes", "2"]);
    expect(p.help === false && p.options.only).toEqual(["rolling-update", "fuzz"]);
    expect(p.help === false && p.options.soakMinutes).toBe(2);
  });

  it("refuse unknown faults and flags and bad numbers with a usage error", () => {
    expect(() => parseReliabilityArgs(["--only", "meteor"])).toThrow(/--only takes .*rolling-update.*"meteor"/);
    expect(() => parseReliabilityArgs(["--soak-minutes", "0"])).toThrow(UsageError);
    expect(() => parseReliabilityArgs(["--rate", "1.5"])).toThrow(UsageError);
    expect(() => parseReliabilityArgs(["--fast"])).toThrow(/--help lists the flags/);
  });

  it("--help names every fault and flag", () => {
    expect(parseReliabilityArgs(["--help"])).toEqual({ help: true });
    for (const f of FAULTS) expect(HELP).toContain(f);
    for (const flag of ["--only", "--soak-minutes", "--rate", "--reuse-cluster", "--keep-cluster"]) {
      expect(HELP).toContain(flag);
    }
  });
});

const row = (fault: string, verdict: Row["verdict"]): Row => ({
  fault,
  load: "40 req/s",
  sent: 100,
  failed: verdict === "FAIL" ? 3 : 0,
  dataLost: "-",
  recovery: "1.0 s",
  verdict,
  note: "a | b",
});

describe("the table", () => {
  it("has the issue's columns, one row per fault, and a note line each", () => {
    const text = renderTable([row("kill-pod", "pass"), notRun("disk-full", "needs root")]);
    const lines = text.split("\n");
    expect(lines[0]).toBe("| fault | load | requests sent | failed | data lost | recovery time | verdict |");
    expect(lines[2]).toBe("| kill-pod | 40 req/s | 100 | 0 | - | 1.0 s | pass |");
    expect(lines[3]).toBe("| disk-full | - | - | - | - | - | not run |");
    expect(text).toContain("- **disk-full** (not run): needs root");
  });

  it("exits 1 only when a fault that ran missed its target", () => {
    expect(exitCode([row("a", "pass"), notRun("b", "why")])).toBe(0);
    expect(exitCode([row("a", "pass"), row("c", "FAIL")])).toBe(1);
  });
});

describe("load windows", () => {
  const s = (start: number, ms: number, ok = true): Sample => ({ start, end: start + ms, pod: "p", ok });

  it("count requests by start time and take p99 of the answered ones", () => {
    const samples = [...Array.from({ length: 99 }, (_, i) => s(i, 10)), s(99, 500), s(100, 1, false), s(200, 1)];
    const w = windowOf(samples, 0, 150);
    expect(w).toMatchObject({ sent: 101, failed: 1 });
    expect(w.p99Ms).toBe(10);
    expect(windowOf(samples, 150).sent).toBe(1);
  });
});

describe("RSS slope", () => {
  it("is the least-squares slope, NaN with fewer than two points", () => {
    expect(
      slope([
        [0, 100],
        [1, 112],
        [2, 120],
      ]),
    ).toBeCloseTo(10, 10);
    expect(slope([[0, 1]])).toBeNaN();
  });
});

describe("version folders", () => {
  function version(out: string, files: Record<string, string>, corrupt = false): string {
    const manifest = JSON.stringify({
      formatVersion: 1,
      kind: "DataSet",
      files: Object.entries(files).map(([path, text]) => ({
        path,
        sha256: createHash("sha256").update(text).digest("hex"),
        size: Buffer.byteLength(text),
      })),
    });
    const name = createHash("sha256").update(manifest).digest("hex");
    mkdirSync(join(out, name), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(join(out, name, path), corrupt ? `${text}!` : text);
    writeFileSync(join(out, name, "manifest.json"), manifest);
    return name;
  }

  it("are complete only when the manifest names the folder and every file matches", () => {
    const out = mkdtempSync(join(tmpdir(), "liftoff-versions-"));
    const good = version(out, { "a.parquet": "aaa" });
    const bad = version(out, { "b.parquet": "bbb" }, true);
    mkdirSync(join(out, "deadbeef"));
    mkdirSync(join(out, ".staging-0123"));
    const v = versions(out);
    expect(v.complete).toEqual([good]);
    expect(v.broken.sort()).toEqual([bad, "deadbeef"].sort());
    expect(v.staging).toEqual([".staging-0123"]);
    expect(versions(join(out, "missing"))).toEqual({ complete: [], broken: [], staging: [] });
  });
});

describe("plaintext scan", () => {
  it("finds the marker in nested files, skips what it is told to and does not follow links", () => {
    const root = mkdtempSync(join(tmpdir(), "reli-plain-"));
    const outside = mkdtempSync(join(tmpdir(), "reli-plain-outside-"));
    mkdirSync(join(root, "a", "b"), { recursive: true });
    writeFileSync(
      join(root, "a", "b", "data.parquet"),
      Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from("Torgersen")]),
    );
    writeFileSync(join(root, "a", "data.parquet.enc"), Buffer.from([9, 8, 7, 6]));
    writeFileSync(join(root, "preprocessing.json"), '{"vocab":["Torgersen"]}');
    writeFileSync(join(outside, "x.csv"), "Torgersen");
    symlinkSync(outside, join(root, "linked"));
    const scan = scanForMarker([root, join(root, "missing")], "Torgersen", (rel) => rel === "preprocessing.json");
    expect(scan.hits).toEqual([join(root, "a", "b", "data.parquet")]);
    expect(scan.files).toBe(2);
    expect(scanForMarker([outside], "Torgersen").hits).toEqual([join(outside, "x.csv")]);
  });
});
