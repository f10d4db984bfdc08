// Every shell script in the repository parses (bash -n) and passes shellcheck at warning level. shellcheck comes
// from Debian's package, fetched by the test set-up (hack/setup.ts test).
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { SHELLCHECK } from "./setup/components.js";

const scripts = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.sh", ".ci/run"], {
  cwd: REPO_ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);

function shellcheck(): string {
  const res = spawnSync("bash", ["hack/fetch-deb.sh", "--check", SHELLCHECK, "shellcheck"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`${res.stderr.trim()} (npm test's set-up fetches it: tsx hack/setup.ts test)`);
  return join(res.stdout.trim(), "shellcheck");
}

describe("shell scripts", () => {
  it("are found", () => {
    expect(scripts).toContain("hack/build-binaries.sh");
    expect(scripts).toContain(".ci/run");
  });

  it.each(scripts)("%s parses with bash -n", (script) => {
    const res = spawnSync("bash", ["-n", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
  });

  it("pass shellcheck at warning level", () => {
    const res = spawnSync(shellcheck(), ["-S", "warning", "-x", ...scripts], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(res.stdout).toBe("");
    expect(res.status).toBe(0);
  });
});
