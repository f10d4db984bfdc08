// `npm run operator` as a new user first meets it: no cluster configured, or a kubeconfig that is not there, ends
// with one line saying what to do — no stack trace, no "HTTP protocol is not allowed".
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";

function operator(args: string[], env: Record<string, string | undefined>) {
  const home = mkdtempSync(join(tmpdir(), "operator-home-"));
  const { KUBECONFIG: _unset, KUBERNETES_SERVICE_HOST: _pod, ...rest } = process.env;
  return spawnSync(process.execPath, ["--import", "tsx", "hack/operator.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...rest, HOME: home, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("npm run operator", () => {
  it.each([
    {
      name: "without KUBECONFIG",
      args: [],
      env: {},
      want: /^liftoff-operator: no cluster to talk to \(KUBECONFIG unset/,
    },
    {
      name: "with a missing kubeconfig",
      args: [],
      env: { KUBECONFIG: "/nonexistent/kubeconfig" },
      want: /^liftoff-operator: no kubeconfig at \/nonexistent\/kubeconfig: set KUBECONFIG/,
    },
    {
      name: "on a dev cluster that was never started",
      args: ["--dev-cluster=never-started"],
      env: {},
      want: /^liftoff-operator: the never-started cluster has no kubeconfig at .*: start it with npm run cluster:up -- --name never-started$/,
    },
  ])("$name: one line saying what to do, exit 1", ({ args, env, want }) => {
    const res = operator(args, env);
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toMatch(want);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
  });
});
