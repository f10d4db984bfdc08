// checkov (PyPI, an independent policy scanner) on the rendered chart, the kustomize output and the objects the
// operator builds for the samples (hack/checkov/scan.ts): no failed check beyond the deliberate ones of
// hack/checkov/skips.yaml, each of which docs/security.md lists with its reason. The first run builds checkov's venv
// (hack/checkov-venv.sh, about a minute); `hack/setup.ts test` builds it before `npm test`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import {
  type CheckResult,
  compare,
  loadSkips,
  type Report,
  renderAll,
  runCheckov,
  SCANS,
} from "../../hack/checkov/scan.js";

const show = (rs: CheckResult[]) => rs.map((r) => `${r.scan}: ${r.check} "${r.name}" ${r.resource}`);

describe("checkov policy scan (issue #24)", () => {
  const dir = mkdtempSync(join(tmpdir(), "liftoff-checkov-"));
  let report: Report;
  beforeAll(() => {
    renderAll(dir);
    report = runCheckov(dir);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses every rendered file and runs its checks on each", () => {
    expect(report.version).toBe("3.3.30");
    expect(report.parsingErrors).toBe(0);
    const scanned = new Set([...report.passed, ...report.failed].map((r) => r.scan));
    expect([...scanned].sort()).toEqual([...SCANS].sort());
    // The run-time objects include every kind's pods: a prepare, a cleanup and a training Job, and serving Deployments.
    const runKinds = new Set(
      report.passed.filter((r) => r.scan === "run-objects").map((r) => r.resource.split("/")[0]),
    );
    expect([...runKinds]).toEqual(expect.arrayContaining(["ServiceAccount", "Job", "Deployment", "Service", "Pod"]));
  });

  it("reports no failed check beyond the deliberate ones in hack/checkov/skips.yaml", () => {
    expect(show(compare(report.failed, loadSkips()).unexpected)).toEqual([]);
  });

  it("has no stale skip: each deliberate one still covers a failure", () => {
    expect(compare(report.failed, loadSkips()).stale.map((s) => s.check)).toEqual([]);
  });

  it("passes the image checks where the images are pinned by digest", () => {
    const pinned = report.failed.filter(
      (r) => r.scan.endsWith("-pinned") && ["CKV_K8S_43", "CKV_K8S_15"].includes(r.check),
    );
    expect(show(pinned)).toEqual([]);
    expect(report.passed.some((r) => r.scan === "run-objects-pinned" && r.check === "CKV_K8S_43")).toBe(true);
  });
});

describe("checkov skips", () => {
  const failure = (over: Partial<CheckResult> = {}): CheckResult => ({
    check: "CKV2_K8S_6",
    name: "NetworkPolicy",
    scan: "run-objects",
    resource: "Pod/churn-prepare-g1",
    ...over,
  });

  it("cover a failure only by check, scan and resource glob; others are unexpected, unused skips stale", () => {
    const skips = loadSkips().filter((s) => s.check === "CKV2_K8S_6");
    expect(compare([failure()], skips)).toEqual({ unexpected: [], stale: [] });
    for (const other of [
      failure({ scan: "helm" }),
      failure({ resource: "Pod/churn-predictor" }),
      failure({ check: "CKV_K8S_1" }),
    ]) {
      expect(compare([other], skips)).toEqual({ unexpected: [other], stale: skips });
    }
  });

  it("are each listed in docs/security.md with their check id", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/security.md"), "utf8");
    const at = doc.indexOf("## Policy scan (checkov)");
    expect(at).toBeGreaterThanOrEqual(0);
    const section = doc.slice(at);
    for (const s of loadSkips()) expect(section, s.check).toContain(`\`${s.check}\``);
  });
});
