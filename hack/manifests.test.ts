// The chart and the kustomize config, rendered offline (helm template, kubectl kustomize) with the pinned tools of
// hack/fetch-kube-tools.sh: the manifest findings of issue #24. Skipped, with a line saying so, when the tools are not
// in the cache (run hack/fetch-kube-tools.sh); test/integration/helm-chart.test.ts checks the rest against a cluster.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { parseConfig } from "../operator/src/config.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form YAML
type Obj = any;

const tools = (() => {
  const res = spawnSync("bash", [join(REPO_ROOT, "hack/fetch-kube-tools.sh"), "--check"], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim().split("\n").at(-1) : undefined;
})();
if (!tools) console.warn("hack/manifests.test.ts: helm and kubectl not cached; run hack/fetch-kube-tools.sh");

const parse = (out: string): Obj[] =>
  parseAllDocuments(out)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);

function helmTemplate(sets: string[] = [], namespace = "liftoff"): Obj[] {
  const args = ["template", "rel", join(REPO_ROOT, "charts/liftoff"), "--kube-version", "v1.35.4", "-n", namespace];
  return parse(
    execFileSync(join(tools ?? "", "helm"), [...args, ...sets.flatMap((s) => ["--set", s])], { encoding: "utf8" }),
  );
}

function kustomize(): Obj[] {
  return parse(
    execFileSync(join(tools ?? "", "kubectl"), ["kustomize", join(REPO_ROOT, "config/default")], {
      encoding: "utf8",
    }),
  );
}

const DIGEST = `sha256:${"a".repeat(64)}`;

/** Whether a NetworkPolicy ingress rule admits a pod with these labels, from any namespace, on this port. */
function admits(np: Obj, port: number, labels: Record<string, string>, nsLabels: Record<string, string>): boolean {
  const matches = (sel: Obj | undefined, l: Record<string, string>) =>
    sel !== undefined &&
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => l[k] === v) &&
    (sel.matchExpressions ?? []).every((e: Obj) => e.operator === "Exists" && e.key in l);
  return (np.spec.ingress ?? []).some(
    (rule: Obj) =>
      (rule.ports ?? []).some((p: Obj) => p.port === port) &&
      // A rule without from admits every peer.
      (rule.from === undefined ||
        rule.from.some(
          (peer: Obj) =>
            matches(peer.namespaceSelector ?? (peer.podSelector ? {} : undefined), nsLabels) &&
            matches(peer.podSelector ?? {}, labels),
        )),
  );
}

describe.skipIf(!tools)("manifests (issue #24)", () => {
  it("finding: the operator pod has no NetworkPolicy — report port only from run and serving pods, metrics only from the configured peers", () => {
    for (const [what, objs] of [
      ["helm", helmTemplate()],
      ["kustomize", kustomize()],
    ] as const) {
      const np = objs.find((o) => o.kind === "NetworkPolicy");
      expect(np, what).toBeDefined();
      const dep = objs.find((o) => o.kind === "Deployment");
      expect(np.metadata.namespace, what).toBe(dep.metadata.namespace);
      expect(np.spec.podSelector.matchLabels, what).toEqual(dep.spec.selector.matchLabels);
      expect(np.spec.policyTypes, what).toEqual(["Ingress"]);
      const any = { "kubernetes.io/metadata.name": "team-a" };
      const monitoring = { "kubernetes.io/metadata.name": "monitoring" };
      expect(admits(np, 9443, { "liftoff.dev/dataset": "iris", "job-name": "iris-prepare-g1" }, any), what).toBe(true);
      expect(admits(np, 9443, { "liftoff.dev/trainingjob": "iris" }, any), what).toBe(true);
      // Serving pods push their monitoring snapshot there (the operator no longer reads their /monitoring).
      expect(
        admits(np, 9443, { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" }, any),
        what,
      ).toBe(true);
      expect(admits(np, 9443, { app: "anything" }, any), what).toBe(false);
      expect(admits(np, 8080, { app: "anything" }, any), what).toBe(false);
      expect(admits(np, 8080, { "liftoff.dev/dataset": "iris" }, any), what).toBe(false);
      expect(admits(np, 8080, { app: "prometheus" }, monitoring), what).toBe(true);
      // The scale-to-zero activator takes a model's requests from anywhere, as the model's Service does.
      expect(admits(np, 8012, { app: "anything" }, any), what).toBe(true);
    }
    const custom = helmTemplate([
      "networkPolicy.metrics.from[0].namespaceSelector.matchLabels.team=obs",
      "metricsPort=9090",
    ]).find((o) => o.kind === "NetworkPolicy");
    expect(admits(custom, 9090, { app: "prometheus" }, { team: "obs" })).toBe(true);
    expect(helmTemplate(["networkPolicy.enabled=false"]).some((o) => o.kind === "NetworkPolicy")).toBe(false);
  });

  it("finding: the ClusterRole is bound cluster-wide even when watchNamespaces is set — bound per namespace then", () => {
    const all = helmTemplate();
    expect(all.filter((o) => o.kind === "ClusterRoleBinding").map((o) => o.roleRef.name)).toEqual([
      "rel-liftoff-operator",
    ]);
    const some = helmTemplate(["watchNamespaces={team-a,team-b}"]);
    const crbs = some.filter((o) => o.kind === "ClusterRoleBinding");
    expect(crbs.map((o) => o.roleRef.name)).toEqual(["rel-liftoff-operator-cluster-scoped"]);
    const clusterScoped = some.find((o) => o.kind === "ClusterRole" && o.metadata.name === crbs[0].roleRef.name);
    expect(clusterScoped.rules.flatMap((r: Obj) => r.resources).sort()).toEqual([
      "apiservices",
      "customresourcedefinitions",
      "nodes",
      "tokenreviews",
    ]);
    const perNamespace = some.filter((o) => o.kind === "RoleBinding" && o.roleRef.kind === "ClusterRole");
    expect(perNamespace.map((o) => o.metadata.namespace).sort()).toEqual(["team-a", "team-b"]);
    for (const rb of perNamespace) {
      expect(rb.roleRef.name).toBe("rel-liftoff-operator");
      expect(rb.subjects).toEqual([{ kind: "ServiceAccount", name: "liftoff-operator", namespace: "liftoff" }]);
    }
  });

  it("finding: the operator pod does not pin its UID/GID — 65532:65532 like the image", () => {
    for (const objs of [helmTemplate(), kustomize()]) {
      const pod = objs.find((o) => o.kind === "Deployment").spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
      });
    }
    expect(readFileSync(join(REPO_ROOT, "operator/Dockerfile"), "utf8")).toMatch(/^USER 65532:65532$/m);
  });

  it("finding: the dashboard ConfigMap and PrometheusRule templates omit metadata.namespace", () => {
    const objs = helmTemplate(["monitoring.prometheusRule.enabled=true"], "obs-ns");
    for (const kind of ["ConfigMap", "PrometheusRule", "NetworkPolicy", "Deployment", "Service"]) {
      const o = objs.find((x) => x.kind === kind);
      expect(o?.metadata.namespace, kind).toBe("obs-ns");
    }
  });

  it("finding: images are referenced by tag only — image.digest pins the operator image", () => {
    const image = (sets: string[]) =>
      helmTemplate(sets).find((o) => o.kind === "Deployment").spec.template.spec.containers[0].image;
    expect(image(["image.tag=1.2.3"])).toBe("ghcr.io/liftoff-dev/liftoff-operator:1.2.3");
    expect(image([`image.digest=${DIGEST}`, "image.tag=1.2.3"])).toBe(`ghcr.io/liftoff-dev/liftoff-operator@${DIGEST}`);
    const args = helmTemplate([`runtimeImage=ghcr.io/liftoff-dev/liftoff-runtime@${DIGEST}`]).find(
      (o) => o.kind === "Deployment",
    ).spec.template.spec.containers[0].args;
    expect(args).toContain(`--runtime-image=ghcr.io/liftoff-dev/liftoff-runtime@${DIGEST}`);
  });

  it("finding: a Helm install with --create-namespace gets no restricted PSS label — NOTES.txt says how", () => {
    const notes = readFileSync(join(REPO_ROOT, "charts/liftoff/templates/NOTES.txt"), "utf8");
    expect(notes).toMatch(
      /kubectl label namespace \{\{ \.Release\.Namespace \}\} pod-security\.kubernetes\.io\/enforce=restricted/,
    );
    const ns = kustomize().find((o) => o.kind === "Namespace");
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("finding: egress of http sources is open to any host — closed by default, egress.allow opens it (--egress-allow)", () => {
    const args = (sets: string[]): string[] =>
      helmTemplate(sets).find((o) => o.kind === "Deployment")?.spec.template.spec.containers[0].args;
    expect(args([]).some((a) => a.startsWith("--egress-allow"))).toBe(false);
    const opened = args(["egress.allow={10.20.0.0/16,minio.data.svc.cluster.local}"]);
    expect(opened).toContain("--egress-allow=10.20.0.0/16,minio.data.svc.cluster.local");
    const cfg = parseConfig(
      opened.map((a) => a.replace("$(POD_IP)", "10.0.0.9")),
      {},
    );
    expect(cfg.egressAllow).toBe("10.20.0.0/16,minio.data.svc.cluster.local");
  });
});

describe("docs/operator.md RBAC summary", () => {
  it("finding: docs/operator.md's RBAC summary is out of date — it is config/rbac/role.yaml's rules, rule by rule", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/operator.md"), "utf8");
    const section = doc.slice(doc.indexOf("## RBAC"), doc.indexOf("\n## ", doc.indexOf("## RBAC") + 1));
    const [role] = parse(readFileSync(join(REPO_ROOT, "config/rbac/role.yaml"), "utf8"));
    for (const rule of role.rules) {
      const row = section
        .split("\n")
        .find((l: string) => rule.resources.every((r: string) => l.includes(`\`${r}\``)) && l.startsWith("|"));
      expect(row, `no row for ${rule.resources.join(", ")}`).toBeDefined();
      expect(row?.split("|").map((c: string) => c.trim())).toContain(rule.verbs.join(", "));
      for (const n of rule.resourceNames ?? []) expect(row).toContain(`\`${n}\``);
    }
  });
});
