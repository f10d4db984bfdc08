import { describe, expect, it } from "vitest";
import { kubeconfigProblem } from "./kubeconfig-check.js";

const VALID = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return text;
  };
}

describe("kubeconfigProblem", () => {
  it("accepts a readable kubeconfig, a pod, or ~/.kube/config", () => {
    expect(kubeconfigProblem("/k", {}, files({ "/k": VALID }), "/home")).toBeUndefined();
    expect(kubeconfigProblem(undefined, { KUBERNETES_SERVICE_HOST: "10.96.0.1" }, files({}), "/home")).toBeUndefined();
    expect(kubeconfigProblem(undefined, {}, files({ "/home/.kube/config": VALID }), "/home")).toBeUndefined();
  });

  it.each<{ file: string; map: Record<string, string>; want: RegExp }>([
    { file: "/missing", map: {}, want: /^no kubeconfig at \/missing: set KUBECONFIG or --kubeconfig/ },
    { file: "/bad", map: { "/bad": "clusters: [" }, want: /^kubeconfig \/bad is not a valid kubeconfig \(/ },
    { file: "/empty", map: { "/empty": "kind: Config\n" }, want: /^kubeconfig \/empty names no current cluster/ },
  ])("$file: one line saying what to do", ({ file, map, want }) => {
    const problem = kubeconfigProblem(file, {}, files(map), "/home");
    expect(problem).toMatch(want);
    expect(problem).toContain("npm run operator -- --dev-cluster");
    expect(problem).not.toContain("\n");
  });

  it("without KUBECONFIG, a pod or ~/.kube/config: says so instead of trying http://localhost:8080", () => {
    expect(kubeconfigProblem(undefined, {}, files({}), "/home")).toBe(
      "no cluster to talk to (KUBECONFIG unset, not in a pod, no /home/.kube/config): set KUBECONFIG or --kubeconfig" +
        " to a kubeconfig file (for the local cluster: npm run operator -- --dev-cluster)",
    );
  });
});
