// hack/fetch-kube-tools.sh's cache checks: a missing or stale cache gives one clear line (nothing is downloaded here).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";

const script = join(REPO_ROOT, "hack", "fetch-kube-tools.sh");
const folder = "kube-tools-kubectl-v1.35.2-helm-v4.1.4";

function check(cache: string) {
  const res = spawnSync("bash", [script, "--check"], {
    env: { ...process.env, LIFTOFF_CACHE: cache },
    encoding: "utf8",
  });
  return { status: res.status, stdout: res.stdout.trim(), stderr: res.stderr.trim() };
}

function fakeTools(kubectlOut: string, helmOut: string): string {
  const cache = mkdtempSync(join(tmpdir(), "liftoff-tools-"));
  const dir = join(cache, folder);
  mkdirSync(dir);
  for (const [name, out] of [
    ["kubectl", kubectlOut],
    ["helm", helmOut],
  ] as const) {
    writeFileSync(join(dir, name), `#!/bin/sh\nprintf '${out}'\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return cache;
}

describe("hack/fetch-kube-tools.sh --check", () => {
  it("says what is missing and how to get it", () => {
    const cache = mkdtempSync(join(tmpdir(), "liftoff-empty-"));
    const res = check(cache);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      `fetch-kube-tools: kubectl v1.35.2 and helm v4.1.4 are not in ${cache}/${folder}; run hack/fetch-kube-tools.sh`,
    );
  });

  it("refuses binaries that report other versions", () => {
    const res = check(fakeTools("Client Version: v1.30.0\\nKustomize Version: v5\\n", "v4.1.4"));
    expect(res.status).toBe(1);
  });

  it("accepts binaries that report the pinned versions and prints their folder", () => {
    const cache = fakeTools("Client Version: v1.35.2\\nKustomize Version: v5.7.1\\n", "v4.1.4");
    const res = check(cache);
    expect(res).toMatchObject({ status: 0, stdout: `${cache}/${folder}` });
  });
});
