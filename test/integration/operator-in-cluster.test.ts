// The operator as it is installed: `kubectl apply -k config/default` (CRDs, RBAC, two replicas in liftoff-system)
// on the local cluster, where the node agent runs the operator image from operator/dist. One replica leads,
// reconciles with the in-cluster service-account identity, and the other takes over when the leader's pod goes.

import { join } from "node:path";
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { kubeConfig, kubectl, testNamespace } from "../support/kube.js";
import { createModelDeployment, OPERATOR_NAMESPACE } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";

const admin = kubeConfig(inject("kubeconfig"));
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const leases = admin.makeApiClient(CoordinationV1Api);
const run = (args: string[]) => kubectl(inject("kubectl"), inject("kubeconfig"), args);
let ns: Awaited<ReturnType<typeof testNamespace>>;

const deployed = (name: string) =>
  pollUntil(
    `Deployment ${name}-predictor`,
    () => apps.readNamespacedDeployment({ name: `${name}-predictor`, namespace: ns.name }).catch(() => undefined),
    { timeoutMs: 60_000 },
  );

async function leader(): Promise<string> {
  return pollUntil(
    "a leader in the Lease",
    async () => {
      const lease = await leases.readNamespacedLease({ name: "liftoff-operator", namespace: OPERATOR_NAMESPACE });
      return lease.spec?.holderIdentity || undefined;
    },
    { timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  ns = await testNamespace(admin, "in-cluster");
  await run(["apply", "-k", join(REPO_ROOT, "config/default")]);
});

afterAll(async () => {
  // Other test files run their own operators: leave no in-cluster one behind.
  await run([
    "delete",
    "deployment",
    "liftoff-operator",
    "-n",
    OPERATOR_NAMESPACE,
    "--wait=true",
    "--timeout=60s",
  ]).catch(() => undefined);
  await ns?.delete();
});

describe("operator installed with kustomize", () => {
  it("runs two ready replicas, one of which leads and reconciles", { timeout: 180_000 }, async () => {
    await pollUntil(
      "liftoff-operator 2/2 ready",
      async () => {
        const d = await apps.readNamespacedDeployment({ name: "liftoff-operator", namespace: OPERATOR_NAMESPACE });
        return d.status?.readyReplicas === 2;
      },
      { timeoutMs: 120_000 },
    );
    const holder = await leader();
    const pods = await core.listNamespacedPod({
      namespace: OPERATOR_NAMESPACE,
      labelSelector: "app.kubernetes.io/component=operator",
    });
    expect(pods.items.map((p) => p.metadata?.name)).toContain(holder);

    await createModelDeployment(admin, ns.name, "first", {
      model: { uri: "https://models.example.com/m/model.json" },
      replicas: 0,
    });
    const dep = await deployed("first");
    const managers = (dep.metadata?.managedFields ?? []).map((f) => f.manager);
    expect(managers).toContain("liftoff-operator");

    // The leader's pod goes away (SIGTERM: it releases the Lease); the standby must lead and reconcile.
    await core.deleteNamespacedPod({ name: holder, namespace: OPERATOR_NAMESPACE });
    const next = await pollUntil(
      "a new leader",
      async () => {
        const h = await leader();
        return h !== holder ? h : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(next).not.toBe(holder);
    await createModelDeployment(admin, ns.name, "second", {
      model: { uri: "https://models.example.com/m/model.json" },
      replicas: 0,
    });
    await deployed("second");
  });
});
