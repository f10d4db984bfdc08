// `kubectl liftoff tree`, `promote`, `abort` and `retrain` through kubectl's own plugin discovery, against the
// penguins pipeline (npm start's steps) on the real local cluster: the same lineage from each of its nodes, -o json,
// the one-line errors, --watch frames, a canary added, aborted and promoted, and a Flux-managed copy left alone.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { kubeConfig, type Obj } from "../support/kube.js";
import { kubectlLiftoff, type PenguinsPipeline, PLUGIN_BIN_DIR, penguinsPipeline } from "../support/plugin.js";

const kc = kubeConfig(inject("kubeconfig"));
const custom = kc.makeApiClient(CustomObjectsApi);
const opts = { kubectl: inject("kubectl"), kubeconfig: inject("kubeconfig") };
let pipe: PenguinsPipeline;
let ns: string;

const G = { group: "liftoff.dev", version: "v1alpha1" };
const getMdep = (name: string) =>
  custom.getNamespacedCustomObject({ ...G, namespace: ns, plural: "modeldeployments", name }) as Promise<Obj>;
const getTj = (name: string) =>
  custom.getNamespacedCustomObject({ ...G, namespace: ns, plural: "trainingjobs", name }) as Promise<Obj>;

/** The canary the tests add: the stable model's own artifact by URI (spec.model names it by TrainingJob). */
async function addCanary(name = "penguins"): Promise<string> {
  const uri = (await getTj("penguins")).status.model.uri as string;
  // The operator writes the object's status between our read and our write now and then (409 Conflict): read again.
  for (let attempt = 1; ; attempt++) {
    const m = await getMdep(name);
    m.spec.canary = { model: { uri }, trafficPercent: 50 };
    try {
      await custom.replaceNamespacedCustomObject({ ...G, namespace: ns, plural: "modeldeployments", name, body: m });
      return uri;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt === 5) throw err;
    }
  }
}

interface JsonNode {
  kind: string;
  name: string;
  state: string;
  digest?: string;
  children: JsonNode[];
}
const shape = (n: JsonNode): unknown => [`${n.kind}/${n.name}`, n.children.map(shape)];
const all = (n: JsonNode): JsonNode[] => [n, ...n.children.flatMap(all)];

async function treeJson(ref: string): Promise<JsonNode> {
  const r = await kubectlLiftoff(["tree", ref, "-n", ns, "-o", "json"], opts);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as JsonNode;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

beforeAll(async () => {
  pipe = await penguinsPipeline(kc, "plugin-tree", {
    clusterName: inject("clusterName"),
    kubeconfig: inject("kubeconfig"),
    kubectl: inject("kubectl"),
  });
  ns = pipe.namespace;
}, 600_000);

afterAll(async () => {
  await pipe?.close();
});

describe("kubectl liftoff tree", () => {
  it("shows the same lineage from the DataSet, the TrainingJob and the ModelDeployment, Ready with digests", async () => {
    const [fromDs, fromTj, fromMdep] = [
      await treeJson("dset/penguins"),
      await treeJson("tj/penguins"),
      await treeJson("modeldeployment/penguins"),
    ];
    expect(shape(fromTj)).toEqual(shape(fromDs));
    expect(shape(fromMdep)).toEqual(shape(fromDs));
    const nodes = all(fromDs);
    const find = (kind: string, name?: string) => nodes.find((n) => n.kind === kind && (!name || n.name === name));
    expect(find("DataSet", "penguins")).toMatchObject({
      state: "Ready",
      digest: expect.stringMatching(/^sha256:[a-f0-9]{12}$/),
    });
    expect(find("TrainingJob", "penguins")).toMatchObject({
      state: "Ready",
      digest: expect.stringMatching(/^sha256:[a-f0-9]{12}$/),
    });
    expect(find("ModelDeployment", "penguins")?.state).toMatch(/^(Ready|Drifted)$/);
    expect(find("Track", "stable")?.state).toBe("Ready");
    expect(find("Deployment", "penguins-predictor")?.state).toBe("Ready");
    expect(find("Pod")?.state).toBe("Ready");

    const human = await kubectlLiftoff(["tree", "mdep/penguins", "-n", ns], opts);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^(✔ dataset\/penguins: all \d+ nodes Ready|⚠ modeldeployment\/penguins: DriftDetected)/);
    expect(lines[2]).toMatch(/^NAME\s+STATE\s+DIGEST\s+AGE\s+INFO$/);
    expect(lines[3]).toMatch(
      /^dataset\/penguins\s+✔ Ready\s+sha256:[a-f0-9]{12}\s+\S+\s+version [a-f0-9]{12}, rows \d+/,
    );
    expect(lines.some((l) => /^└── trainingjob\/penguins\s+✔ Ready\s+sha256:/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {4}└── modeldeployment\/penguins\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {8}└── track\/stable\s+✔ Ready/.test(l))).toBe(true);
    expect(human.stdout).not.toContain("\u001b[");

    const wide = await kubectlLiftoff(["get", "dset/penguins", "-n", ns, "-o", "wide"], opts);
    expect(wide.code).toBe(0);
    expect(wide.stdout).toMatch(/NAME\s+STATE\s+DIGEST\s+AGE\s+URI\s+NODE\s+IP\s+INFO/);
    expect(wide.stdout).toMatch(/pod\/penguins-predictor-\S+\s+✔ Ready.*\d+\.\d+\.\d+\.\d+/);

    const forest = await kubectlLiftoff(["tree", "-n", ns, "-o", "json"], opts);
    expect(forest.code).toBe(0);
    const items = (JSON.parse(forest.stdout) as { items: JsonNode[] }).items;
    expect(items.map((t) => `${t.kind}/${t.name}`)).toEqual(["DataSet/penguins"]);
  });

  it("answers bad input in one line with an exit code", async () => {
    const unknown = await kubectlLiftoff(["tree", "mdep/nope", "-n", ns], opts);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `error: modeldeployment "nope" in namespace ${ns} not found; kubectl get liftoff lists what exists\n`,
    );
    const kind = await kubectlLiftoff(["tree", "pipeline/penguins", "-n", ns], opts);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/^error: unknown kind "pipeline"; kubectl liftoff knows dataset \(dset\), .*\n$/);

    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), "plugin-tree-"));
    const dead = join(dir, "kubeconfig");
    writeFileSync(
      dead,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]`,
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]",
        "current-context: dead",
      ].join("\n"),
    );
    const noCluster = await kubectlLiftoff(["tree", "mdep/penguins"], { ...opts, kubeconfig: dead });
    expect(noCluster.code).toBe(1);
    expect(noCluster.stderr).toBe(
      `error: no cluster reachable at https://127.0.0.1:${port} (ECONNREFUSED); check --context/--kubeconfig, or start the local cluster with npm run cluster:up\n`,
    );

    const retrain = await kubectlLiftoff(["retrain", "mdep/penguins", "-n", ns], opts);
    expect(retrain.code).toBe(1);
    expect(retrain.stderr).toBe(
      "error: modeldeployment/penguins has no spec.retrain: the closed loop is not configured; add spec.retrain to turn it on (docs/loop.md, Turn it on)\n",
    );
    const noCanary = await kubectlLiftoff(["promote", "mdep/penguins", "-n", ns], opts);
    expect(noCanary.code).toBe(1);
    expect(noCanary.stderr).toMatch(
      /^error: modeldeployment\/penguins has no canary \(spec\.canary is not set\); add one/,
    );
    const wrongKind = await kubectlLiftoff(["abort", "tj/penguins", "-n", ns], opts);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toBe("error: kubectl liftoff abort does not work on trainingjob; name a mdep\n");
  });

  it("--watch appends a frame when the lineage changes (a canary added) and ends on Ctrl-C with exit 0", async () => {
    const child = spawn(
      opts.kubectl,
      ["liftoff", "tree", "mdep/penguins", "-n", ns, "--watch", "--kubeconfig", opts.kubeconfig],
      {
        env: { ...process.env, NO_COLOR: "1", PATH: `${PLUGIN_BIN_DIR}${delimiter}${process.env.PATH ?? ""}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (err += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until("the first frame", async () => (out.includes("track/stable") ? true : undefined), 60_000);
      expect(out).not.toContain("track/canary");
      await addCanary();
      await until(
        "a frame with the canary track",
        async () => (out.includes("track/canary") ? true : undefined),
        60_000,
      );
      const frames = out.trimEnd().split(/\n\n(?=\S+ \S+\/)/);
      expect(frames.length).toBeGreaterThanOrEqual(2);
      expect(frames[0]).not.toContain("track/canary");
      expect(frames.at(-1)).toContain("track/canary");
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(err).toBe("");
  });

  it("shows both tracks, then abort removes the canary and promote moves a fresh one into spec.model", async () => {
    const uri = (await getMdep("penguins")).spec.canary?.model?.uri ?? (await addCanary());
    const tree = await until("the canary's Deployment", async () => {
      const t = await treeJson("mdep/penguins");
      return all(t).some((n) => n.kind === "Deployment" && n.name === "penguins-canary") ? t : undefined;
    });
    const mdep = all(tree).find((n) => n.kind === "ModelDeployment");
    expect(mdep?.children.map((c) => `${c.kind}/${c.name}`)).toEqual(["Track/stable", "Track/canary"]);
    const human = await kubectlLiftoff(["tree", "mdep/penguins", "-n", ns], opts);
    expect(human.stdout).toMatch(
      /track\/canary\s+\S+ \S+\s+sha256:[a-f0-9]{12}\s+\S+\s+.*model trainingjob\/penguins \(by uri\), traffic 50%/,
    );
    // For the docs: PLUGIN_TREE_CAPTURE=FILE keeps this output (docs/kubectl-plugin.md shows it).
    if (process.env.PLUGIN_TREE_CAPTURE) writeFileSync(process.env.PLUGIN_TREE_CAPTURE, human.stdout);

    const dry = await kubectlLiftoff(["abort", "mdep/penguins", "-n", ns, "--dry-run"], opts);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout.split("\n").slice(1).join("\n"))).toEqual({ spec: { canary: null } });
    expect((await getMdep("penguins")).spec.canary).toBeDefined();

    const abort = await kubectlLiftoff(["abort", "mdep/penguins", "-n", ns], opts);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain("modeldeployment/penguins aborted");
    const afterAbort = await getMdep("penguins");
    expect(afterAbort.spec.canary).toBeUndefined();
    expect(afterAbort.spec.model.trainingJobRef.name).toBe("penguins");

    await addCanary();
    const promote = await kubectlLiftoff(["promote", "mdep/penguins", "-n", ns, "--wait", "--timeout", "4m"], opts);
    expect(promote.stderr).toBe("");
    expect(promote.code).toBe(0);
    expect(promote.stdout).toContain("modeldeployment/penguins promoted");
    expect(promote.stdout).toContain("modeldeployment/penguins is Ready");
    const promoted = await getMdep("penguins");
    expect(promoted.spec.canary).toBeUndefined();
    expect(promoted.spec.model.uri).toBe(uri);
    expect(promoted.spec.model.trainingJobRef).toBeUndefined();
    // The tree still links the ModelDeployment to its TrainingJob, now by the model's URI.
    const after = await treeJson("dset/penguins");
    expect(all(after).some((n) => n.kind === "ModelDeployment" && n.name === "penguins")).toBe(true);
  }, 420_000);

  it("refuses to promote a Flux-managed ModelDeployment and prints the Git change instead, unless --force", async () => {
    const src = await getMdep("penguins");
    const uri = (await getTj("penguins")).status.model.uri as string;
    const body = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      metadata: { name: "penguins-flux", namespace: ns, labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } },
      spec: {
        ...src.spec,
        model: { trainingJobRef: { name: "penguins" } },
        canary: { model: { uri }, trafficPercent: 0, replicas: 0 },
      },
    };
    await custom.createNamespacedCustomObject({ ...G, namespace: ns, plural: "modeldeployments", body });
    const refused = await kubectlLiftoff(["promote", "mdep/penguins-flux", "-n", ns], opts);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "error: modeldeployment/penguins-flux is managed by Flux (label kustomize.toolkit.fluxcd.io/name=apps): a patch would be reverted at its next sync; commit the manifest printed above to Git, or pass --force to patch the cluster anyway\n",
    );
    expect(refused.stdout).toContain("# Flux manages modeldeployment/penguins-flux");
    expect(refused.stdout).toMatch(new RegExp(`\\n  model:\\n(    \\S.*\\n)*    uri: ${uri}\\n`));
    expect(refused.stdout).not.toContain("canary:");
    expect((await getMdep("penguins-flux")).spec.canary).toBeDefined();

    const forced = await kubectlLiftoff(["promote", "mdep/penguins-flux", "-n", ns, "--force"], opts);
    expect(forced.code).toBe(0);
    const m = await getMdep("penguins-flux");
    expect(m.spec.canary).toBeUndefined();
    expect(m.spec.model.uri).toBe(uri);
  });
});
