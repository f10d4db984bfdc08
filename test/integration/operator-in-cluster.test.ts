// The operator as it is installed: config/default (CRDs, RBAC, two replicas in liftoff-system, the report Service)
// on the local cluster, where the node agent runs the operator image from operator/dist. The cluster has no
// cert-manager, so the test applies config/default's parts without that component and creates the report endpoint's
// Secret itself from the cluster CA, as a user without cert-manager does. One replica leads, reconciles with the
// in-cluster service-account identity, and the other takes over when the leader's pod goes; every replica serves
// the report endpoint with the Secret's certificate.

import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { firstServiceIP } from "../../devcluster/cluster/cluster.js";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { ensurePki, issueServingCert } from "../../devcluster/cluster/pki.js";
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

const REPORT_SERVICE_HOST = `liftoff-operator-report.${OPERATOR_NAMESPACE}.svc`;
let reportCa = "";

/** The report endpoint's Secret, signed by the cluster CA for the Service's DNS name (what cert-manager would issue). */
async function createReportSecret(): Promise<void> {
  const config = clusterConfig(inject("clusterName"));
  const pki = ensurePki(config.pkiDir, firstServiceIP(config.serviceCIDR), [config.podGateway]);
  const tls = issueServingCert(pki, "liftoff-operator-report", [], [REPORT_SERVICE_HOST]);
  reportCa = readFileSync(tls.ca, "utf8");
  await run(["create", "namespace", OPERATOR_NAMESPACE]).catch(() => undefined);
  const body = {
    metadata: { name: "liftoff-operator-report-tls", namespace: OPERATOR_NAMESPACE },
    type: "kubernetes.io/tls",
    stringData: {
      "tls.crt": readFileSync(tls.cert, "utf8"),
      "tls.key": readFileSync(tls.key, "utf8"),
      "ca.crt": reportCa,
    },
  };
  await core.deleteNamespacedSecret({ name: body.metadata.name, namespace: OPERATOR_NAMESPACE }).catch(() => undefined);
  await core.createNamespacedSecret({ namespace: OPERATOR_NAMESPACE, body });
}

/** POST an unauthenticated report to one replica, verifying its certificate for the Service's name with the CA. */
function postReport(podIP: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: podIP, port: 9443, path: "/v1/report", method: "POST", ca: reportCa, servername: REPORT_SERVICE_HOST },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.setHeader("content-type", "application/json");
    req.end("{}");
  });
}

beforeAll(async () => {
  ns = await testNamespace(admin, "in-cluster");
  await createReportSecret();
  await run(["apply", "-k", join(import.meta.dirname, "fixtures/operator-in-cluster")]);
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
  await run([
    "delete",
    "service/liftoff-operator-report",
    "secret/liftoff-operator-report-tls",
    "-n",
    OPERATOR_NAMESPACE,
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

    // Every replica (leader or not) serves the report endpoint with the Secret's certificate, verified for the
    // Service's DNS name; a report without a token is refused with a JSON reason.
    for (const pod of pods.items) {
      const answer = await postReport(pod.status?.podIP ?? "");
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error).toMatch(/Bearer/);
    }

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
