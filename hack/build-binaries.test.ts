// The binary cache script's bad-input paths: each gives one clear line (no Go build is started here).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";

const script = join(REPO_ROOT, "hack", "build-binaries.sh");
function run(args: string[], env: Record<string, string>) {
  const res = spawnSync("bash", [script, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: res.status, stderr: res.stderr.trim() };
}

function fakeCache(apiserverVersion: string): string {
  const cache = mkdtempSync(join(tmpdir(), "liftoff-cache-"));
  const k8s = join(cache, "k8s-v1.35.4");
  const etcd = join(cache, "etcd-v3.6.16");
  mkdirSync(k8s);
  mkdirSync(etcd);
  const fake = (path: string, out: string) => {
    writeFileSync(path, `#!/bin/sh\necho '${out}'\n`);
    chmodSync(path, 0o755);
  };
  for (const b of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"]) {
    fake(join(k8s, b), apiserverVersion);
  }
  fake(join(etcd, "etcd"), "etcd Version: 3.6.16");
  mkdirSync(join(cache, "helm-v3.22.0"));
  fake(join(cache, "helm-v3.22.0", "helm"), "v3.22.0");
  mkdirSync(join(cache, "prometheus-2.42.0"));
  fake(join(cache, "prometheus-2.42.0", "prometheus"), "prometheus, version 2.42.0+ds (branch: debian/sid)");
  fake(join(cache, "prometheus-2.42.0", "promtool"), "promtool, version 2.42.0+ds");
  return cache;
}

describe("hack/build-binaries.sh", () => {
  it("says which binaries are missing with --check", () => {
    const res = run(["--check"], { LIFTOFF_CACHE: mkdtempSync(join(tmpdir(), "liftoff-empty-")) });
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      "build-binaries: missing in cache: etcd kube-apiserver kube-controller-manager kube-scheduler kubectl helm prometheus; run npm run binaries (hack/build-binaries.sh)",
    );
  });

  it("refuses a stale cache whose binaries report another version", () => {
    const res = run(["--check"], { LIFTOFF_CACHE: fakeCache("Kubernetes v1.30.0") });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /stale cache: .*kube-apiserver reports 'Kubernetes v1\.30\.0', expected 'Kubernetes v1\.35\.4'; delete .* and rerun/,
    );
  });

  it("accepts a cache that reports the pinned versions and prints the folders", () => {
    const cache = fakeCache("Kubernetes v1.35.4");
    const res = spawnSync("bash", [script, "--check"], {
      env: { ...process.env, LIFTOFF_CACHE: cache },
      encoding: "utf8",
    });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(
      `${cache}/k8s-v1.35.4 ${cache}/etcd-v3.6.16 ${cache}/helm-v3.22.0 ${cache}/prometheus-2.42.0`,
    );
  });

  it("says Go is missing instead of failing obscurely", () => {
    const res = run([], { PATH: "/usr/bin:/bin" });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^build-binaries: Go is not installed; install Go 1\.25 or newer/);
  });
});
