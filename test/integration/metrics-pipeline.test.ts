// The local cluster's metrics pipeline end to end (devcluster/metrics): metrics-server serves metrics.k8s.io from
// the node agent's kubelet /metrics/resource (a CPU-burning testbox pod shows CPU > 0, `kubectl top` works), and a
// KEDA ScaledObject with a prometheus trigger on the cluster-wide Prometheus gets its HPA, whose external metric
// the KEDA metrics apiserver answers and which scales the Deployment.
import { AppsV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterPrometheusUrl } from "../../devcluster/metrics/prometheus.js";
import { parseQuantity } from "../../devcluster/node-agent/quantity.js";
import { kubeRequest } from "../../operator/src/kube/request.js";
import { kubeConfig, kubectl, testNamespace } from "../support/kube.js";
import { pollUntil } from "../support/poll.js";
import { box } from "./node-agent-helpers.js";

let kc: KubeConfig;
let ns: { name: string; delete(): Promise<void> };
let apps: AppsV1Api;

beforeAll(async () => {
  kc = kubeConfig(inject("kubeconfig"));
  apps = kc.makeApiClient(AppsV1Api);
  ns = await testNamespace(kc, "metrics");
});
afterAll(async () => {
  await ns?.delete();
});

function deployment(name: string, env: Record<string, string>): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name },
          // What the cluster-wide Prometheus keeps (the operator's annotations when there is no ServiceMonitor).
          annotations: {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "8080",
            "prometheus.io/path": "/metrics",
          },
        },
        spec: {
          containers: [
            box("box", ["serve"], {
              env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
              readinessProbe: { httpGet: { path: "/readyz", port: 8080 }, periodSeconds: 1 },
            }),
          ],
        },
      },
    },
  };
}

interface PodMetrics {
  metadata: { name: string };
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

describe("metrics pipeline", () => {
  it("serves node and pod metrics from the node agent's processes: a busy pod's CPU shows, kubectl top works", async () => {
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment("busy", { BURN_PERCENT: "40" }) });
    const busy = await pollUntil(
      "metrics.k8s.io to report the busy pod with CPU > 0",
      async () => {
        const list = await kubeRequest<{ items: PodMetrics[] }>(kc, {
          method: "GET",
          path: `/apis/metrics.k8s.io/v1beta1/namespaces/${ns.name}/pods`,
        });
        return list.items.find(
          (p) => p.metadata.name.startsWith("busy-") && parseQuantity(p.containers[0]?.usage.cpu ?? "0") > 0,
        );
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    const usage = busy.containers[0]?.usage;
    // About 0.4 cores by design; a loaded machine gives it less, never nothing.
    expect(parseQuantity(usage?.cpu ?? "0")).toBeGreaterThan(0.05);
    expect(parseQuantity(usage?.memory ?? "0")).toBeGreaterThan(10 * 1024 * 1024);

    // Both nodes, within a couple of metrics-server cycles: a node's CPU counter never falls while pods of other
    // files come and go (a fall would read as a reset and drop the node from one cycle).
    const nodeNames = async () =>
      (
        await kubeRequest<{ items: { metadata: { name: string }; usage: { cpu: string } }[] }>(kc, {
          method: "GET",
          path: "/apis/metrics.k8s.io/v1beta1/nodes",
        })
      ).items
        .map((n) => n.metadata.name)
        .sort();
    await pollUntil("metrics.k8s.io lists both nodes", async () => (await nodeNames()).length === 2, {
      timeoutMs: 45_000,
      intervalMs: 1000,
    }).catch(() => undefined);
    expect(await nodeNames()).toEqual(["cpu-node-1", "gpu-node-1"]);

    const top = await kubectl(inject("kubectl"), inject("kubeconfig"), ["top", "pod", "-n", ns.name, "--no-headers"]);
    expect(top).toContain(busy.metadata.name);
  });

  it("lets a KEDA ScaledObject with a prometheus trigger drive its HPA through external.metrics.k8s.io", async () => {
    const name = "scaled";
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment(name, { TESTBOX_VALUE: "5" }) });
    const query = `sum(testbox_value{namespace="${ns.name}",pod=~"${name}-.*"})`;
    await kubeRequest(kc, {
      method: "POST",
      path: `/apis/keda.sh/v1alpha1/namespaces/${ns.name}/scaledobjects`,
      body: {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name },
        spec: {
          scaleTargetRef: { name },
          minReplicaCount: 1,
          maxReplicaCount: 3,
          pollingInterval: 1,
          triggers: [
            {
              type: "prometheus",
              metricType: "AverageValue",
              metadata: { serverAddress: clusterPrometheusUrl(inject("clusterName")), query, threshold: "2" },
            },
          ],
        },
      },
    });

    // The external metrics API answers with Prometheus' value (5, from the one pod's testbox_value).
    const metricName = await pollUntil(
      "KEDA's HPA keda-hpa-scaled with an external metric",
      async () => {
        const hpa = await kubeRequest<{ spec: { metrics?: { external?: { metric: { name: string } } }[] } }>(kc, {
          method: "GET",
          path: `/apis/autoscaling/v2/namespaces/${ns.name}/horizontalpodautoscalers/keda-hpa-${name}`,
        });
        return hpa.spec.metrics?.[0]?.external?.metric.name;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const value = await pollUntil(
      "the external metric's value",
      async () => {
        const list = await kubeRequest<{ items: { value: string }[] }>(kc, {
          method: "GET",
          path: `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns.name}/${metricName}`,
          query: { labelSelector: `scaledobject.keda.sh/name=${name}` },
        });
        const v = list.items[0]?.value;
        return v !== undefined && parseQuantity(v) > 0 ? parseQuantity(v) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(value).toBe(5);

    // The HPA reads it (currentMetrics) and scales 1 → 3 (5 / 2 per pod, capped at maxReplicaCount).
    const current = await pollUntil(
      "the HPA's currentMetrics and the Deployment scaled to 3",
      async () => {
        const hpa = await kubeRequest<{
          status: {
            currentMetrics?: { external?: { current: { averageValue?: string } } }[];
            desiredReplicas?: number;
          };
        }>(kc, {
          method: "GET",
          path: `/apis/autoscaling/v2/namespaces/${ns.name}/horizontalpodautoscalers/keda-hpa-${name}`,
        });
        const d = await apps.readNamespacedDeployment({ name, namespace: ns.name });
        const avg = hpa.status.currentMetrics?.[0]?.external?.current.averageValue;
        return avg !== undefined && d.spec?.replicas === 3 ? avg : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(parseQuantity(current)).toBeGreaterThan(0);
  });
});
