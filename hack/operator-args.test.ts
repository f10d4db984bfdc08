import { describe, expect, it } from "vitest";
import { chooseDevCluster, clusterOfKubeconfig, devClusterFlags, flagValue } from "./operator-args.js";

const REPO = "/repo";

describe("chooseDevCluster", () => {
  it.each([
    { argv: ["--dev-cluster"], env: {}, cluster: "local", rest: [] },
    { argv: ["--dev-cluster=test", "--log-level=debug"], env: {}, cluster: "test", rest: ["--log-level=debug"] },
    { argv: [], env: { KUBECONFIG: "/repo/.liftoff/local/kubeconfig" }, cluster: "local", rest: [] },
    { argv: [], env: { KUBECONFIG: ".liftoff/docs/kubeconfig" }, cluster: "docs", rest: [] },
    { argv: ["--kubeconfig", "/repo/.liftoff/test/kubeconfig"], env: {}, cluster: "test" },
    { argv: [], env: { KUBECONFIG: "/home/me/.kube/config" }, cluster: undefined, rest: [] },
    { argv: [], env: {}, cluster: undefined, rest: [] },
  ])("$argv with $env → $cluster", ({ argv, env, cluster, rest }) => {
    const choice = chooseDevCluster(argv, env, REPO, REPO);
    expect(choice.cluster).toBe(cluster);
    expect(choice.argv).toEqual(rest ?? argv);
  });
});

describe("clusterOfKubeconfig", () => {
  it("names only a dev cluster's own kubeconfig", () => {
    expect(clusterOfKubeconfig("/repo/.liftoff/local/kubeconfig", REPO, "/")).toBe("local");
    expect(clusterOfKubeconfig("/repo/.liftoff/local/other", REPO, "/")).toBeUndefined();
    expect(clusterOfKubeconfig("/elsewhere/.liftoff/local/kubeconfig", REPO, "/")).toBeUndefined();
    expect(clusterOfKubeconfig("/repo/.liftoff/a/b/kubeconfig", REPO, "/")).toBeUndefined();
  });
});

describe("flagValue", () => {
  it("reads --f=v and --f v, the last one winning", () => {
    expect(flagValue(["--a=1", "--a", "2"], "a")).toBe("2");
    expect(flagValue(["--ab=1"], "a")).toBeUndefined();
  });
});

describe("devClusterFlags", () => {
  const facts = {
    kubeconfig: "/repo/.liftoff/local/kubeconfig",
    reportFlags: ["--report-url=https://10.0.0.1:1234/v1/report", "--report-tls-cert=c"],
    vaultPodAddress: "https://10.0.0.1:16470",
    vaultAuditFile: "/repo/.liftoff/local/openbao/audit.log",
    podHostAddress: "10.0.0.1",
  };
  it("adds the kubeconfig, the report endpoint, OpenBao and the host's egress before the user's flags", () => {
    expect(devClusterFlags(["--namespaces=ml"], facts)).toEqual([
      "--kubeconfig=/repo/.liftoff/local/kubeconfig",
      "--report-url=https://10.0.0.1:1234/v1/report",
      "--report-tls-cert=c",
      "--vault-addr=https://10.0.0.1:16470",
      "--vault-ca-configmap=kube-root-ca.crt",
      "--vault-audit-file=/repo/.liftoff/local/openbao/audit.log",
      "--egress-allow=10.0.0.1",
      "--namespaces=ml",
    ]);
  });
  it("leaves out what the user gave, and OpenBao when the cluster has none", () => {
    const argv = ["--kubeconfig=/k", "--report-url=https://h/v1/report", "--egress-allow=192.168.9.0/24"];
    expect(devClusterFlags(argv, { ...facts, vaultPodAddress: undefined, vaultAuditFile: undefined })).toEqual(argv);
    expect(devClusterFlags(["--vault-addr=https://v"], facts)).not.toContain("--vault-ca-configmap=kube-root-ca.crt");
  });
});
