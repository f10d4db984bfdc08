import { describe, expect, it } from "vitest";
import { firstServiceIP } from "./cluster.js";
import { clusterComponents, controlPlaneComponents, startWaves } from "./components.js";
import { clusterConfig, portsFrom } from "./config.js";
import type { Pki } from "./pki.js";

const fakePki: Pki = {
  dir: "/pki",
  caCert: "/pki/ca.crt",
  caKey: "/pki/ca.key",
  serverCert: "/pki/apiserver.crt",
  serverKey: "/pki/apiserver.key",
  serviceAccountKey: "/pki/sa.key",
  serviceAccountPub: "/pki/sa.pub",
  frontProxyCaCert: "/pki/front-proxy-ca.crt",
  frontProxyClient: { cert: "/pki/front-proxy-client.crt", key: "/pki/front-proxy-client.key" },
  client: (id) => ({ cert: `/pki/${id.file}.crt`, key: `/pki/${id.file}.key` }),
};
const bins = {
  etcd: "/b/etcd",
  kubeApiserver: "/b/kube-apiserver",
  kubeControllerManager: "/b/kcm",
  kubeScheduler: "/b/sched",
  kubectl: "/b/kubectl",
  helm: "/b/helm",
  bao: "/b/bao",
  weed: "/b/weed",
  promtool: "/b/promtool",
  prometheus: "/b/prometheus",
  metricsServer: "/b/metrics-server",
  kedaOperator: "/b/keda/keda-operator",
  kedaAdapter: "/b/keda/keda-adapter",
};

describe("cluster config", () => {
  it("gives the local and test clusters their own folders and ports", () => {
    const local = clusterConfig("local", {});
    const test = clusterConfig("test", {});
    expect(local.kubeconfig).toMatch(/\.liftoff\/local\/kubeconfig$/);
    expect(test.stateDir).not.toBe(local.stateDir);
    const localPorts = new Set(Object.values(local.ports));
    expect(Object.values(test.ports).some((p) => localPorts.has(p))).toBe(false);
  });

  it("honours LIFTOFF_PORT_BASE and rejects nonsense", () => {
    expect(clusterConfig("local", { LIFTOFF_PORT_BASE: "20000" }).ports).toEqual(portsFrom(20000));
    expect(() => clusterConfig("local", { LIFTOFF_PORT_BASE: "80" })).toThrow(/between 1024 and 65000/);
    expect(() => clusterConfig("Bad Name", {})).toThrow(/lowercase/);
  });

  it("puts the API server's ClusterIP first in the service range", () => {
    expect(firstServiceIP("10.96.0.0/24")).toBe("10.96.0.1");
    expect(() => firstServiceIP("nonsense")).toThrow(/bad service CIDR/);
  });
});

describe("control-plane components", () => {
  const config = clusterConfig("test", {});
  const components = controlPlaneComponents(config, bins, fakePki, { controllerManager: "/k/kcm", scheduler: "/k/s" });
  const args = (name: string) => components.find((c) => c.name === name)?.args ?? [];

  it("starts etcd, then the API server, then the controllers", () => {
    expect(components.map((c) => c.name)).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
    ]);
  });

  it("starts etcd, then the API server, then everything else side by side", () => {
    const all = clusterComponents(config, bins, fakePki, { controllerManager: "/k/kcm", scheduler: "/k/s" });
    expect(startWaves(all).map((wave) => wave.map((c) => c.name))).toEqual([
      ["etcd"],
      ["kube-apiserver"],
      [
        "kube-controller-manager",
        "kube-scheduler",
        "openbao",
        "seaweedfs",
        "node-agent",
        "prometheus",
        "metrics-server",
        "keda-operator",
        "keda-metrics-apiserver",
      ],
    ]);
  });

  it("serves the aggregation layer: front-proxy CA and client, routing to Endpoints", () => {
    const a = args("kube-apiserver");
    expect(a).toContain(`--requestheader-client-ca-file=${fakePki.frontProxyCaCert}`);
    expect(a).toContain("--requestheader-allowed-names=front-proxy-client");
    expect(a).toContain(`--proxy-client-cert-file=${fakePki.frontProxyClient.cert}`);
    expect(a).toContain("--enable-aggregator-routing=true");
    expect(args("kube-controller-manager")).toContain("--horizontal-pod-autoscaler-sync-period=5s");
  });

  it("secures the API server: TLS, client CA, RBAC, service-account keys", () => {
    const a = args("kube-apiserver");
    expect(a).toContain("--authorization-mode=Node,RBAC");
    expect(a).toContain(`--client-ca-file=${fakePki.caCert}`);
    expect(a).toContain(`--service-account-signing-key-file=${fakePki.serviceAccountKey}`);
    expect(a).toContain(`--secure-port=${config.ports.apiserver}`);
    expect(a).toContain("--bind-address=127.0.0.1");
  });

  it("lets the controller manager sign service-account tokens and run every controller", () => {
    const a = args("kube-controller-manager");
    expect(a).toContain(`--service-account-private-key-file=${fakePki.serviceAccountKey}`);
    expect(a).toContain("--use-service-account-credentials=true");
    expect(a).toContain("--controllers=*");
  });

  it("binds everything to loopback", () => {
    for (const c of components) expect(new URL(c.health.url).hostname).toBe("127.0.0.1");
  });
});
