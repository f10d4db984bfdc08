// ModelDeployment spec.auth end to end: the operator passes only the Vault path; the serving pod (the real runtime,
// in a restricted namespace) logs in to the cluster's OpenBao with its projected token and reads the API keys:
// no key → 401, another model's key → 401 like an unknown one, a rotated key works without a pod restart and the old one stops after
// the grace window; Vault failures are conditions naming path and role.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, NetworkingV1Api } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { saveLayersModel, tinyDense } from "../../runtime/src/serve/test-helpers.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { apiObjects, filesUnder, leaks, podEnvironments } from "../support/leaks.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const vault = testVault(inject("clusterName"));
const operatorLog: string[] = [];
const fx = operatorFixture(admin, "mdep-auth", {
  restricted: true,
  logSink: (line) => operatorLog.push(line),
  // With the report endpoint: monitored serving pods push their counts there (/monitoring needs the key).
  flags: async () => [
    "--leader-elect=false",
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
    "--monitoring-period=2",
    ...(await reportFlags(inject("clusterName"))),
  ],
});
const core = admin.makeApiClient(CoreV1Api);

const getMdep = (name: string) => getModelDeployment(admin, fx.ns.name, name);

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

async function waitReady(name: string, reason: string, timeoutMs = 120_000): Promise<Obj> {
  return pollUntil(
    `${name}: Ready reason ${reason}`,
    async () => {
      const m = await getMdep(name);
      return m.status?.observedGeneration === m.metadata.generation && cond(m, "Ready")?.reason === reason
        ? m
        : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function predict(url: string, key?: string): Promise<{ status: number; body: Obj }> {
  const res = await fetch(`${url}/v1/models/tiny:predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ instances: [[1, 2, 3]] }),
  });
  return { status: res.status, body: (await res.json()) as Obj };
}

function auth(name: string, extra: Obj = {}) {
  return { apiKeys: { path: `secret/data/${fx.ns.name}/api-keys`, key: name }, ...extra };
}

async function servingRole(name: string, kvPath = `secret/data/${fx.ns.name}/api-keys`) {
  await vault.createRole({
    name: `liftoff-${fx.ns.name}-${name}`,
    namespace: fx.ns.name,
    serviceAccount: `${name}-runtime`,
    kvPaths: [kvPath],
    namespaceKv: false,
  });
}

async function deploy(name: string, authSpec: Obj, extra: Obj = {}): Promise<void> {
  await createModelDeployment(admin, fx.ns.name, name, {
    model: { uri: "pvc://models/tiny/model.json" },
    replicas: 1,
    resources: { cpu: "500m", memory: "512Mi" },
    auth: authSpec,
    ...extra,
  });
}

describe("ModelDeployment spec.auth with keys in Vault", () => {
  const keys = { tiny: `k-tiny-${Date.now()}`, other: `k-other-${Date.now()}` };
  const rotated = `k-tiny-rotated-${Date.now()}`;

  it("401 without a valid key or with another model's key, 200 with its own", { timeout: 180_000 }, async () => {
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "tiny"), { recursive: true });
    await saveLayersModel(tinyDense(), join(folder, "tiny"));
    await vault.putKv(`secret/data/${fx.ns.name}/api-keys`, keys);
    await servingRole("tiny");
    await deploy("tiny", auth("tiny", { refreshSeconds: 1, graceSeconds: 4 }), {
      monitoring: { feedback: true, windowSeconds: 60 },
    });
    await waitReady("tiny", "Available");

    const ep = await serviceEndpoint(admin, fx.ns.name, "tiny");
    const none = await predict(ep.url);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe("LIFTOFF_ERR_UNAUTHENTICATED");
    expect((await predict(ep.url, "wrong")).status).toBe(401);
    const other = await predict(ep.url, keys.other);
    // Another model's key is refused exactly like an unknown one (#24: 401 vs 403 told a key existed).
    expect(other.status).toBe(401);
    expect(other.body).toEqual(none.body);
    expect((await predict(ep.url, keys.tiny)).status).toBe(200);
    // Probes and metrics stay open.
    expect((await fetch(`${ep.url}/v2/health/ready`)).status).toBe(200);

    // Nothing but the path reached the API server.
    const dep = await admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: "tiny-predictor", namespace: fx.ns.name });
    expect(JSON.stringify(dep)).not.toContain(keys.tiny);
    expect(JSON.stringify(dep)).toContain(`secret/data/${fx.ns.name}/api-keys`);
  });

  it("finding: /monitoring needs a key when auth is on — the pod pushes its counts to the operator, status.monitoring fills", {
    timeout: 60_000,
  }, async () => {
    const ep = await serviceEndpoint(admin, fx.ns.name, "tiny");
    const anonymous = await fetch(`${ep.url}/monitoring`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("windowSeconds");
    const keyed = await fetch(`${ep.url}/monitoring`, { headers: { authorization: `Bearer ${keys.tiny}` } });
    expect(keyed.status).toBe(200);
    expect(((await keyed.json()) as Obj).windowSeconds).toBe(60);
    // The operator has no key, yet merges the pod's counts: the pod pushed them with its projected token.
    const m = await pollUntil(
      "status.monitoring from the pod's pushed counts",
      async () => {
        const m = await getMdep("tiny");
        return m.status?.monitoring?.pods === 1 ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(m.status.monitoring.windowSeconds).toBe(60);
  });

  it("takes a rotated key without restarting the pod; the old key ends after the grace window", {
    timeout: 120_000,
  }, async () => {
    const ep = await serviceEndpoint(admin, fx.ns.name, "tiny");
    const podsBefore = (await core.listNamespacedPod({ namespace: fx.ns.name })).items
      .filter((p) => p.metadata?.labels?.["liftoff.dev/modeldeployment"] === "tiny")
      .map((p) => `${p.metadata?.uid}/${p.status?.containerStatuses?.[0]?.restartCount}`);
    await vault.putKv(`secret/data/${fx.ns.name}/api-keys`, { tiny: rotated, other: keys.other });
    // refreshSeconds is 1: the new key is accepted within about a second.
    await pollUntil("rotated key accepted", async () => (await predict(ep.url, rotated)).status === 200, {
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    await pollUntil(
      "old key refused after the grace window",
      async () => (await predict(ep.url, keys.tiny)).status === 401,
      {
        timeoutMs: 15_000,
        intervalMs: 250,
      },
    );
    expect((await predict(ep.url, rotated)).status).toBe(200);
    const podsAfter = (await core.listNamespacedPod({ namespace: fx.ns.name })).items
      .filter((p) => p.metadata?.labels?.["liftoff.dev/modeldeployment"] === "tiny")
      .map((p) => `${p.metadata?.uid}/${p.status?.containerStatuses?.[0]?.restartCount}`);
    expect(podsAfter).toEqual(podsBefore);
  });

  it("leaks no key: not in any API object (Events, Secrets…), the operator log, pod logs, env or volume files", {
    timeout: 60_000,
  }, async () => {
    const config = clusterConfig(inject("clusterName"));
    const podsDir = join(config.stateDir, "pods");
    const pods = filesUnder(join(podsDir, fx.ns.name));
    const environments = podEnvironments(podsDir).filter((h) => h.text.includes(`/pods/${fx.ns.name}/`));
    // The search must cover something: the serving pod's log and its running process.
    expect(pods.some((h) => h.where.endsWith("runtime.log"))).toBe(true);
    expect(environments.length).toBeGreaterThan(0);
    expect(environments.some((h) => h.text.includes("LIFTOFF_AUTH_VAULT_PATH="))).toBe(true);
    expect(operatorLog.length).toBeGreaterThan(0);
    const haystacks = [
      ...(await apiObjects(inject("kubectl"), inject("kubeconfig"))),
      { where: "operator log", text: operatorLog.join("") },
      ...pods,
      ...filesUnder(await claimHostFolder(admin, fx.ns.name, "models")),
      ...environments,
    ];
    expect(haystacks.find((h) => h.where === "API events")?.text).toContain(fx.ns.name);
    expect(leaks([keys.tiny, keys.other, rotated], haystacks)).toEqual([]);

    // And no Kubernetes Secret made by Liftoff, anywhere.
    const secrets = (await core.listSecretForAllNamespaces()).items;
    const byLiftoff = secrets.filter(
      (s) =>
        s.metadata?.labels?.["app.kubernetes.io/managed-by"] === "liftoff" ||
        s.metadata?.ownerReferences?.some((o) => o.apiVersion.startsWith("liftoff.dev/")),
    );
    expect(byLiftoff.map((s) => s.metadata?.name)).toEqual([]);
    expect(secrets.filter((s) => s.metadata?.namespace === fx.ns.name)).toEqual([]);
  });

  it("has a NetworkPolicy letting in only the serving ports (HTTP, gRPC)", async () => {
    const np = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: "tiny", namespace: fx.ns.name });
    expect(np.spec?.policyTypes).toEqual(["Ingress"]);
    expect(np.spec?.ingress?.map((r) => r.ports)).toEqual([
      [
        { port: 8080, protocol: "TCP" },
        { port: 8081, protocol: "TCP" },
      ],
    ]);
  });

  it("says VaultPermissionDenied naming the role when no role lets the pod in", { timeout: 120_000 }, async () => {
    await deploy("norole", auth("norole", { vaultRole: "no-such-role" }));
    const m = await waitReady("norole", "VaultPermissionDenied");
    expect(cond(m, "Ready").message).toContain('role "no-such-role"');
  });

  it("says SecretNotFound naming the path when the secret is missing", { timeout: 120_000 }, async () => {
    const path = `secret/data/${fx.ns.name}/missing`;
    await servingRole("nokeys", path);
    await deploy("nokeys", { apiKeys: { path, key: "nokeys" } });
    const m = await waitReady("nokeys", "SecretNotFound");
    expect(cond(m, "Ready").message).toContain(`path "${path}"`);
  });

  it("says VaultUnreachable while Vault is down at start, and becomes Ready by itself once it is back", {
    timeout: 240_000,
  }, async () => {
    await servingRole("down");
    await servingRole("sealed");
    const path = `secret/data/${fx.ns.name}/api-keys`;
    await vault.putKv(path, { tiny: rotated, other: keys.other, down: "k-down", sealed: "k-sealed" });
    await vault.stop();
    try {
      await deploy("down", auth("down"));
      const m = await waitReady("down", "VaultUnreachable");
      expect(cond(m, "Ready").message).toContain('role "liftoff-');
    } finally {
      await vault.start();
    }
    // The pod restarts with the kubelet's back-off (10 s, 20 s, 40 s…) and logs in once Vault answers.
    await waitReady("down", "Available", 180_000);
  });

  it("says VaultSealed while Vault is sealed at start, and becomes Ready by itself once unsealed", {
    timeout: 240_000,
  }, async () => {
    await vault.seal();
    try {
      await deploy("sealed", auth("sealed"));
      await waitReady("sealed", "VaultSealed");
    } finally {
      await vault.unseal();
    }
    await waitReady("sealed", "Available", 180_000);
  });
});
