// charts/liftoff: lints, renders the same RBAC as config/rbac, honours its values, and the real API server accepts
// every object it renders (server-side dry run).
import { execFile } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { parseConfig } from "../../operator/src/config.js";
import { kubeConfig, kubectl, type Obj, readYamlFile, testNamespace } from "../support/kube.js";

const exec = promisify(execFile);
const chart = join(REPO_ROOT, "charts/liftoff");
const helm = async (args: string[]) => (await exec(inject("helm"), args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
let ns: Awaited<ReturnType<typeof testNamespace>>;
// helm template renders offline: tell it the cluster's version (the chart requires >= 1.30).
const KUBE = ["--kube-version", "v1.35.4"];

async function render(namespace: string, sets: string[] = []): Promise<Obj[]> {
  const out = await helm([
    "template",
    "rel",
    chart,
    ...KUBE,
    "--namespace",
    namespace,
    ...sets.flatMap((s) => ["--set", s]),
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

beforeAll(async () => {
  ns = await testNamespace(kubeConfig(inject("kubeconfig")), "helm");
});
afterAll(async () => {
  await ns?.delete();
});

describe("Helm chart", () => {
  it("passes helm lint", async () => {
    const out = await helm(["lint", chart]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("grants exactly the rules of config/rbac/role.yaml", async () => {
    const role = (await render(ns.name)).find((o) => o.kind === "ClusterRole");
    const [kustomize] = readYamlFile<Obj>(join(REPO_ROOT, "config/rbac/role.yaml"));
    expect(role?.rules).toEqual(kustomize?.rules);
  });

  it("passes its values to the operator as flags", async () => {
    const objs = await render(ns.name, ["watchNamespaces={team-a,team-b}", "replicaCount=3", "image.tag=1.2.3"]);
    const dep = objs.find((o) => o.kind === "Deployment");
    expect(dep?.spec.replicas).toBe(3);
    const c = dep?.spec.template.spec.containers[0];
    expect(c.image).toBe("ghcr.io/liftoff-dev/liftoff-operator:1.2.3");
    expect(c.args).toContain("--namespaces=team-a,team-b");
    expect(c.args).toContain("--leader-elect=true");
    expect(objs.find((o) => o.kind === "Role")?.metadata.namespace).toBe(ns.name);
  });

  it("points the operator at an external Vault only when vault.address is set", async () => {
    const args = async (sets: string[]) =>
      (await render(ns.name, sets)).find((o) => o.kind === "Deployment")?.spec.template.spec.containers[0].args;
    expect((await args([])).some((a: string) => a.startsWith("--vault"))).toBe(false);
    expect(
      await args(["vault.address=https://vault.vault.svc:8200", "vault.caConfigMap=vault-ca", "vault.authMount=k8s"]),
    ).toEqual(
      expect.arrayContaining([
        "--vault-addr=https://vault.vault.svc:8200",
        "--vault-auth-mount=k8s",
        "--vault-token-ttl=600",
        "--vault-ca-configmap=vault-ca",
      ]),
    );
  });

  it("serves reports at its Service's name with a certificate for that name, signed by the CA pods get", async () => {
    const objs = await render(ns.name);
    const service = objs.find((o) => o.kind === "Service" && o.spec.ports[0].name === "report");
    const secret = objs.find((o) => o.kind === "Secret");
    const dep = objs.find((o) => o.kind === "Deployment");
    const args: string[] = dep?.spec.template.spec.containers[0].args;
    const url = new URL((args.find((a) => a.startsWith("--report-url=")) ?? "").slice("--report-url=".length));
    expect(url.hostname).toBe(`${service?.metadata.name}.${ns.name}.svc`);
    expect(Number(url.port)).toBe(service?.spec.ports[0].port);
    expect(dep?.spec.template.spec.volumes[0].secret.secretName).toBe(secret?.metadata.name);
    const pem = (k: string) => Buffer.from(secret?.data[k], "base64").toString();
    const cert = new X509Certificate(pem("tls.crt"));
    expect(cert.checkHost(url.hostname)).toBe(url.hostname);
    expect(cert.verify(new X509Certificate(pem("ca.crt")).publicKey)).toBe(true);
    expect(createPrivateKey(pem("tls.key")).asymmetricKeyType).toBe(cert.publicKey.asymmetricKeyType);
    // The operator's own parser accepts the flags the chart renders.
    const cfg = parseConfig(
      args.map((a) => a.replace("$(POD_IP)", "10.0.0.9")),
      {},
    );
    expect(cfg.report?.url).toBe(url.href);

    const certManager = await render(ns.name, ["report.certificate=cert-manager"]);
    const certificate = certManager.find((o) => o.kind === "Certificate" && !o.spec.isCA);
    expect(certificate?.spec.dnsNames).toContain(url.hostname);
    expect(certManager.some((o) => o.kind === "Secret")).toBe(false);
    await expect(render(ns.name, ["report.certificate=secret"])).rejects.toThrow(/report.existingSecret is required/);
  });

  it("renders objects the API server accepts (server-side dry run)", async () => {
    const out = await helm(["template", "rel", chart, ...KUBE, "--namespace", ns.name]);
    const file = join(REPO_ROOT, ".liftoff", `helm-${ns.name}.yaml`);
    const { writeFileSync, rmSync } = await import("node:fs");
    writeFileSync(file, out);
    try {
      const applied = await kubectl(inject("kubectl"), inject("kubeconfig"), ["apply", "--dry-run=server", "-f", file]);
      expect(applied).toMatch(/deployment\.apps\/liftoff-operator created \(server dry run\)/);
      expect(applied).toMatch(
        /clusterrole\.rbac\.authorization\.k8s\.io\/rel-liftoff-operator created \(server dry run\)/,
      );
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe("kustomize config/default", () => {
  it("points the operator's report URL at its Service, with a cert-manager certificate for that name", async () => {
    const out = await kubectl(inject("kubectl"), inject("kubeconfig"), [
      "kustomize",
      join(REPO_ROOT, "config/default"),
    ]);
    const objs = parseAllDocuments(out)
      .map((d) => d.toJS() as Obj)
      .filter(Boolean);
    const service = objs.find((o) => o.kind === "Service");
    const dep = objs.find((o) => o.kind === "Deployment");
    const args: string[] = dep?.spec.template.spec.containers[0].args;
    const cfg = parseConfig(
      args.map((a) => a.replace("$(POD_IP)", "10.0.0.9")),
      {},
    );
    const host = `${service?.metadata.name}.${service?.metadata.namespace}.svc`;
    expect(new URL(cfg.report?.url ?? "").hostname).toBe(host);
    const serving = objs.find((o) => o.kind === "Certificate" && !o.spec.isCA);
    expect(serving?.spec.dnsNames).toContain(host);
    expect(dep?.spec.template.spec.volumes[0].secret.secretName).toBe(serving?.spec.secretName);
  });
});

describe("kustomize config/vault", () => {
  it("sets Vault settings on the operator that its own config parser accepts", async () => {
    const out = await kubectl(inject("kubectl"), inject("kubeconfig"), ["kustomize", join(REPO_ROOT, "config/vault")]);
    const dep = parseAllDocuments(out)
      .map((d) => d.toJS() as Obj)
      .find((o) => o?.kind === "Deployment");
    const env = Object.fromEntries(
      ((dep?.spec.template.spec.containers[0].env ?? []) as Obj[]).filter((e) => e.value).map((e) => [e.name, e.value]),
    );
    expect(parseConfig([], env).vault).toEqual({
      address: "https://vault.vault.svc:8200",
      authMount: "kubernetes",
      caConfigMap: { name: "vault-ca", key: "ca.crt" },
      tokenExpirationSeconds: 600,
    });
  });
});
