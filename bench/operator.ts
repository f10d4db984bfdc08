// `npm run bench:operator`: 1000 ModelDeployments against the local API server (a fresh "bench" cluster).
// Prints: time until all converged, API writes per object, writes during a rest period, operator RSS; then kills
// the operator mid-run, restarts it and checks that everything converges with no duplicate or orphaned children.
// Flags: --count N (default 1000), --rest-seconds S (default 60), --concurrency C (creates in flight, default 16).
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { clusterDown, clusterUp } from "../devcluster/cluster/cluster.js";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { KubeClient } from "../operator/src/kube/client.js";
import { RESOURCES, type ResourceType } from "../operator/src/kube/resources.js";
import type { KubeObject } from "../operator/src/kube/types.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    "rest-seconds": { type: "string", default: "60" },
    concurrency: { type: "string", default: "16" },
    qps: { type: "string", default: "500" },
  },
});
const COUNT = Number(values.count);
const REST_SECONDS = Number(values["rest-seconds"]);
const CONCURRENCY = Number(values.concurrency);
const OPERATOR_QPS = Number(values.qps);

const children = new Set<ChildProcess>();

interface Operator {
  child: ChildProcess;
  port: number;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const addr = srv.address();
  await new Promise((r) => srv.close(r));
  return typeof addr === "object" && addr ? addr.port : 0;
}

async function startOperator(kubeconfig: string, id: string): Promise<Operator> {
  const port = await freePort();
  // The compiled operator, as its image runs it (npm run build), so RSS and start-up are not tsx's.
  const child = spawn(process.execPath, [join(REPO_ROOT, "operator/dist/main.js")], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      LIFTOFF_METRICS_BIND_ADDRESS: `127.0.0.1:${port}`,
      LIFTOFF_LEADER_ELECT: "false",
      LIFTOFF_CONCURRENCY: "16",
      LIFTOFF_KUBE_API_QPS: String(OPERATOR_QPS),
      LIFTOFF_KUBE_API_BURST: String(OPERATOR_QPS * 2),
      LIFTOFF_LOG_LEVEL: "warn",
      POD_NAME: id,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, port };
    if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("operator not ready within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(op: Operator, name: string, filter: (labels: string) => boolean = () => true): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && m[1] === name && filter(m[2] ?? "")) sum += Number(m[3]);
  }
  return sum;
}

const WRITE = /verb="(apply|create|update|patch|delete)"/;
const writes = (op: Operator) => metric(op, "liftoff_kube_api_requests_total", (l) => WRITE.test(l));

function mdep(ns: string, i: number): KubeObject {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: `m${String(i).padStart(4, "0")}`, namespace: ns },
    spec: { model: { uri: `https://models.example.com/m${i}/model.json` }, replicas: 0 },
  };
}

async function createAll(client: KubeClient, ns: string, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await client.create(RESOURCES.ModelDeployment, mdep(ns, i));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Converged: status for the current generation with Ready=True, and its Deployment exists. */
async function convergedCount(client: KubeClient, ns: string): Promise<number> {
  const [mdeps, deps] = await Promise.all([
    client.list(RESOURCES.ModelDeployment, ns),
    client.list(RESOURCES.Deployment, ns),
  ]);
  const depNames = new Set(deps.items.map((d) => d.metadata?.name));
  return mdeps.items.filter(
    (m) =>
      m.status?.observedGeneration === m.metadata?.generation &&
      m.status?.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True") &&
      depNames.has(`${m.metadata?.name}-predictor`),
  ).length;
}

async function waitConverged(client: KubeClient, ns: string, n: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if ((await convergedCount(client, ns)) >= n) return (performance.now() - start) / 1000;
    if (performance.now() - start > timeoutMs) throw new Error(`not converged after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Children per owner: duplicates (more than one of a kind) and orphans (owner gone). */
async function audit(
  client: KubeClient,
  ns: string,
): Promise<{ duplicates: number; orphans: number; missing: number }> {
  const mdeps = await client.list(RESOURCES.ModelDeployment, ns);
  const uids = new Set(mdeps.items.map((m) => m.metadata?.uid));
  let duplicates = 0;
  let orphans = 0;
  let missing = 0;
  const kinds: ResourceType[] = [RESOURCES.Deployment, RESOURCES.Service, RESOURCES.ServiceAccount];
  for (const r of kinds) {
    const perOwner = new Map<string, number>();
    for (const obj of (await client.list(r, ns, { labelSelector: "app.kubernetes.io/managed-by=liftoff" })).items) {
      const owner = obj.metadata?.ownerReferences?.find((o) => o.controller)?.uid ?? "";
      if (!uids.has(owner)) orphans++;
      perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1);
    }
    duplicates += [...perOwner.values()].filter((n) => n > 1).length;
    missing += [...uids].filter((u) => !perOwner.has(u ?? "")).length;
  }
  return { duplicates, orphans, missing };
}

async function main(): Promise<void> {
  console.error(`bench:operator: starting a fresh "bench" cluster (${COUNT} ModelDeployments, rest ${REST_SECONDS} s)`);
  const cluster = await clusterUp("bench", { fresh: true, log: () => undefined });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const client = new KubeClient(kc, { fieldManager: "bench", qps: 1000, burst: 2000 });
  const rows: Array<[string, string, string]> = [];
  try {
    for (const ns of ["bench-a", "bench-b"]) {
      await client.create(RESOURCES.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    }
    // Phase 1: converge COUNT objects from scratch.
    let op = await startOperator(cluster.kubeconfig, "bench-1");
    const t0 = performance.now();
    await createAll(client, "bench-a", 0, COUNT);
    const createSeconds = (performance.now() - t0) / 1000;
    await waitConverged(client, "bench-a", COUNT, 600_000);
    const convergeSeconds = (performance.now() - t0) / 1000;
    const w1 = await writes(op);
    rows.push([`create ${COUNT} ModelDeployments (client side)`, `${createSeconds.toFixed(1)} s`, ""]);
    rows.push(["all converged (children + Ready status)", `${convergeSeconds.toFixed(1)} s`, "≤ 20 s"]);
    rows.push(["operator API writes per ModelDeployment", (w1 / COUNT).toFixed(2), "≤ 3"]);
    // Phase 2: rest.
    await new Promise((r) => setTimeout(r, REST_SECONDS * 1000));
    const w2 = await writes(op);
    rows.push([`operator API writes during ${REST_SECONDS} s at rest`, String(w2 - w1), "0"]);
    const rss = await metric(op, "process_resident_memory_bytes");
    rows.push([`operator RSS with ${COUNT} objects cached`, `${(rss / 2 ** 20).toFixed(0)} MiB`, ""]);
    // Phase 3: kill mid-run, restart, converge, audit.
    const half = Math.floor(COUNT / 2);
    const createB = createAll(client, "bench-b", 0, COUNT);
    for (;;) {
      if ((await convergedCount(client, "bench-b")) >= half) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    op.child.kill("SIGKILL");
    await new Promise((r) => op.child.once("exit", r));
    await createB;
    const t1 = performance.now();
    op = await startOperator(cluster.kubeconfig, "bench-2");
    await waitConverged(client, "bench-b", COUNT, 600_000);
    rows.push([
      "after SIGKILL at 50 % and restart: converged in",
      `${((performance.now() - t1) / 1000).toFixed(1)} s`,
      "",
    ]);
    const a = await audit(client, "bench-b");
    rows.push([
      "duplicate / orphaned / missing children",
      `${a.duplicates} / ${a.orphans} / ${a.missing}`,
      "0 / 0 / 0",
    ]);
    op.child.kill("SIGTERM");
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await clusterDown("bench");
  }
  const w: [number, number, number] = [
    Math.max(...rows.map((r) => r[0].length)),
    Math.max(...rows.map((r) => r[1].length)),
    9,
  ];
  const line = (r: [string, string, string]) =>
    `| ${r[0].padEnd(w[0])} | ${r[1].padStart(w[1])} | ${r[2].padEnd(w[2])} |`;
  console.log(line(["measure", "value", "target"]));
  console.log(`|${"-".repeat(w[0] + 2)}|${"-".repeat(w[1] + 2)}|${"-".repeat(w[2] + 2)}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
