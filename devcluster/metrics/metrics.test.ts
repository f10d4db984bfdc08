import { describe, expect, it } from "vitest";
import { clusterConfig } from "../cluster/config.js";
import { kedaManifests, metricsServerManifests, objectPath } from "./apis.js";
import { prometheusConfig } from "./prometheus.js";
import { kedaMetricsApiserverComponent, kedaOperatorComponent, metricsServerComponent } from "./servers.js";

const config = clusterConfig("test", {});

describe("the cluster-wide Prometheus", () => {
  it("keeps every namespace's annotated pods, with their port and path, labelled namespace and pod, every second", () => {
    const cfg = prometheusConfig("/k") as {
      global: { scrape_interval: string };
      scrape_configs: { kubernetes_sd_configs: object[]; relabel_configs: Record<string, unknown>[] }[];
    };
    expect(cfg.global.scrape_interval).toBe("1s");
    const [job] = cfg.scrape_configs;
    // No namespaces list: all of them.
    expect(job?.kubernetes_sd_configs).toEqual([{ role: "pod", kubeconfig_file: "/k" }]);
    const targets = job?.relabel_configs.map((r) => r.target_label ?? r.action);
    expect(targets).toEqual(["keep", "drop", "__address__", "__metrics_path__", "namespace", "pod"]);
  });
});

describe("metrics-server and KEDA", () => {
  it("serves metrics-server on the bridge gateway and scrapes the agent's kubelet API by node InternalIP", () => {
    const c = metricsServerComponent(config, { metricsServer: "/b/ms" }, "/k", { cert: "/c", key: "/k2" });
    expect(c.args).toContain(`--bind-address=${config.podGateway}`);
    expect(c.args).toContain(`--secure-port=${config.ports.metricsServer}`);
    expect(c.args).toContain("--kubelet-insecure-tls");
    expect(c.args).toContain("--kubelet-use-node-status-port");
    expect(new URL(c.health.url).hostname).toBe(config.podGateway);
  });

  it("keeps KEDA's operator on loopback and points its adapter at the operator's gRPC port, all namespaces watched", () => {
    const op = kedaOperatorComponent(config, { kedaOperator: "/b/op" }, "/k", "/certs");
    const ad = kedaMetricsApiserverComponent(config, { kedaAdapter: "/b/ad" }, "/k", "/certs");
    expect(op.args).toContain(`--metrics-service-bind-address=127.0.0.1:${config.ports.kedaOperatorGrpc}`);
    expect(ad.args).toContain(`--metrics-service-address=127.0.0.1:${config.ports.kedaOperatorGrpc}`);
    expect(ad.args).toContain(`--bind-address=${config.podGateway}`);
    for (const c of [op, ad]) {
      expect(c.env?.WATCH_NAMESPACE).toBe("");
      expect(c.env?.KEDA_CLUSTER_OBJECT_NAMESPACE).toBe("keda");
    }
  });
});

describe("the aggregated APIs", () => {
  it("routes v1beta1.metrics.k8s.io to a selector-less Service whose Endpoints name the gateway", () => {
    const objs = metricsServerManifests("10.81.0.1", 17512, "CA");
    const svc = objs.find((o) => o.kind === "Service");
    const ep = objs.find((o) => o.kind === "Endpoints") as { subsets: { addresses: { ip: string }[] }[] } | undefined;
    const api = objs.find((o) => o.kind === "APIService") as
      | { spec: { service: object; caBundle: string } }
      | undefined;
    expect(svc).toBeDefined();
    expect((svc?.spec ?? {}) as { selector?: object }).not.toHaveProperty("selector");
    expect(ep?.subsets[0]?.addresses).toEqual([{ ip: "10.81.0.1" }]);
    expect(api?.spec.service).toEqual({ namespace: "kube-system", name: "metrics-server", port: 443 });
    expect(Buffer.from(api?.spec.caBundle ?? "", "base64").toString()).toBe("CA");
  });

  it("binds KEDA's own roles to its two users, and lets the HPA controller read external metrics", () => {
    const roles = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: keda-operator
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: keda-operator
  namespace: keda
rules: []
`;
    const objs = kedaManifests(roles, "10.81.0.1", 17518, "CA");
    const bindings = objs.filter((o) => o.metadata?.name === "keda-operator" && o.kind?.endsWith("Binding"));
    expect(bindings.map((b) => `${b.kind} ${b.metadata?.namespace ?? ""}`)).toEqual([
      "ClusterRoleBinding ",
      "RoleBinding keda",
    ]);
    expect((bindings[0] as { subjects: { name: string }[] }).subjects.map((s) => s.name)).toEqual([
      "liftoff:keda-operator",
      "liftoff:keda-metrics-apiserver",
    ]);
    const hpa = objs.find((o) => o.metadata?.name === "keda-hpa-controller-external-metrics") as
      | { subjects: object[] }
      | undefined;
    expect(hpa?.subjects).toEqual([
      { kind: "ServiceAccount", name: "horizontal-pod-autoscaler", namespace: "kube-system" },
    ]);
    expect(objs[0]?.kind).toBe("Namespace");
  });

  it("names each object's REST path", () => {
    expect(objectPath({ apiVersion: "v1", kind: "Endpoints", metadata: { namespace: "keda", name: "x" } })).toBe(
      "/api/v1/namespaces/keda/endpoints/x",
    );
    expect(objectPath({ apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name: "a" } })).toBe(
      "/apis/apiregistration.k8s.io/v1/apiservices/a",
    );
    expect(() => objectPath({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } })).toThrow(/no path/);
  });
});
