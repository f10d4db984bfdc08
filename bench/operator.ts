// `npm run bench:operator [-- N]`: N ModelDeployments (default 1000) against the local API server (a fresh "bench"
// cluster), measured against the API server's own floor in the same run: first the plain writes per second it
// accepts (ConfigMap creates at the operator's concurrency) and the rate at which a plain client makes the operator's
// writes itself (create, its children, status per object), then the time until all N converged, API writes per
// object, writes during a rest period and operator RSS; then it kills the operator mid-run, restarts it and checks
// that everything converges with no duplicate or orphaned children. Progress goes to stderr every few seconds.
// Flags: --count N (or N alone), --rest-seconds S (60), --concurrency C (creates in flight, 16), --qps (operator's
// client limit, 500), --floor-writes W (plain writes for the floor, 2000), --restart-count R (second batch, ≤ 1000;
// 0 skips the kill and restart), --same-writes S (objects written the same way without an operator, ≤ 1000).
// LIFTOFF_BENCH_OPERATOR_CPU_PROF=DIR writes the operator's CPU profiles there.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ModelDeployment } from "../operator/src/api/v1alpha1/index.js";
import type { ResourceType } from "../operator/src/kube/resources.js";
import type { KubeObject } from "../operator/src/kube/types.js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { KubeConfig } = await import("@kubernetes/client-node");
const { default: parsePrometheusTextFormat } = await import("parse-prometheus-text-format");
const { clusterDown, clusterUp } = await import("../devcluster/cluster/cluster.js");
const { REPO_ROOT } = await import("../devcluster/cluster/config.js");
const { Informer } = await import("../operator/src/controller/informer.js");
const { KubeClient } = await import("../operator/src/kube/client.js");
// The classes are types too: a dynamic import gives only their values.
type KubeClient = import("../operator/src/kube/client.js").KubeClient;
type Informer<T extends KubeObject = KubeObject> = import("../operator/src/controller/informer.js").Informer<T>;
const { apiVersionOf, RESOURCES } = await import("../operator/src/kube/resources.js");
const { desiredObjects } = await import("../operator/src/modeldeployment/desired.js");

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    count: { type: "string" },
    "rest-seconds": { type: "string", default: "60" },
    concurrency: { type: "string", default: "16" },
    qps: { type: "string", default: "500" },
    "floor-writes": { type: "string", default: "2000" },
    "restart-count": { type: "string" },
    "same-writes": { type: "string" },
  },
});
const COUNT = Number(values.count ?? positionals[0] ?? "1000");
const REST_SECONDS = Number(values["rest-seconds"]);
const CONCURRENCY = Number(values.concurrency);
const OPERATOR_QPS = Number(values.qps);
const FLOOR_WRITES = Number(values["floor-writes"]);
const RESTART_COUNT = Number(values["restart-count"] ?? Math.min(COUNT, 1000));
const SAME_WRITES = Number(values["same-writes"] ?? Math.min(COUNT, 1000));
/** The operator's concurrency (LIFTOFF_CONCURRENCY below); the floor is measured with as many writes in flight. */
const OPERATOR_CONCURRENCY = 16;
const NUMBERS = { COUNT, REST_SECONDS, CONCURRENCY, OPERATOR_QPS, FLOOR_WRITES, RESTART_COUNT, SAME_WRITES };
for (const [name, v] of Object.entries(NUMBERS)) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`bench:operator: ${name.toLowerCase()} must be a whole number`);
}
const say = (line: string) => console.error(`bench:operator: ${line}`);

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
  // LIFTOFF_BENCH_OPERATOR_CPU_PROF=DIR: a V8 CPU profile of each operator run there (written when it stops on
  // SIGTERM: with --restart-count 0 the first operator is stopped so, not killed).
  const prof = process.env.LIFTOFF_BENCH_OPERATOR_CPU_PROF;
  const flags = prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [];
  const child = spawn(process.execPath, [...flags, join(REPO_ROOT, "operator/dist/main.js")], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      LIFTOFF_METRICS_BIND_ADDRESS: `127.0.0.1:${port}`,
      LIFTOFF_LEADER_ELECT: "false",
      LIFTOFF_CONCURRENCY: String(OPERATOR_CONCURRENCY),
      LIFTOFF_KUBE_API_QPS: String(OPERATOR_QPS),
      LIFTOFF_KUBE_API_BURST: String(OPERATOR_QPS * 2),
      LIFTOFF_LOG_LEVEL: process.env.LIFTOFF_BENCH_OPERATOR_LOG ?? "warn",
      POD_NAME: id,
      // Only the measured namespaces: the floor's namespaces are written by the bench alone.
      LIFTOFF_WATCH_NAMESPACES: "bench-a,bench-b",
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

/** Sum of a metric family's samples on the operator's /metrics whose labels pass `filter`. */
async function metric(
  op: Operator,
  name: string,
  filter: (labels: Record<string, string>) => boolean = () => true,
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => filter(m.labels ?? {}))
    .reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}

const WRITE_VERBS = new Set(["apply", "create", "update", "patch", "delete"]);
const writes = (op: Operator) => metric(op, "liftoff_kube_api_requests_total", (l) => WRITE_VERBS.has(l.verb ?? ""));

/** The operator's requests per object by verb and resource ("apply deployments 1.00, …"): where each one goes. */
async function requestsByKind(op: Operator, objects: number, verbs: (verb: string) => boolean): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  const family = parsePrometheusTextFormat(text).find((f) => f.name === "liftoff_kube_api_requests_total");
  const byKind = new Map<string, number>();
  for (const m of family?.metrics ?? []) {
    const { verb = "", resource = "" } = m.labels ?? {};
    if (!verbs(verb)) continue;
    byKind.set(`${verb} ${resource}`, (byKind.get(`${verb} ${resource}`) ?? 0) + Number(m.value ?? 0));
  }
  return (
    [...byKind]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${(n / objects).toFixed(2)}`)
      .join(", ") || "none"
  );
}

function mdep(ns: string, i: number): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: `m${String(i).padStart(5, "0")}`, namespace: ns },
    spec: { model: { uri: `https://models.example.com/m${i}/model.json`, format: "tfjs-layers" }, replicas: 0 },
  };
}

/** Runs `work(i)` for i in [from, to) with `inFlight` at a time. */
async function pool(from: number, to: number, inFlight: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await work(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/**
 * The floor: plain writes per second the API server accepts, at the operator's concurrency. Each is a ConfigMap
 * create, the cheapest write there is (no controller reacts to it), so no operator can write faster than this.
 */
async function writeFloor(client: KubeClient, ns: string, n: number): Promise<number> {
  await client.create(RESOURCES.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const configMap: ResourceType = {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    namespaced: true,
  };
  const start = performance.now();
  await pool(0, n, OPERATOR_CONCURRENCY, (i) =>
    client.create(configMap, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `w${i}`, namespace: ns } }),
  );
  return n / ((performance.now() - start) / 1000);
}

/**
 * The same writes without an operator: per object, the ModelDeployment create, its three children applied
 * concurrently (server-side apply, as the operator sends them) and one status apply, `OPERATOR_CONCURRENCY` objects
 * in flight. The controller manager reacts to these Deployments as it does in phase 1, so this is the bound for
 * the whole pipeline on this API server at this moment; returns objects per second.
 */
async function sameWritesFloor(client: KubeClient, ns: string, n: number): Promise<number> {
  await client.create(RESOURCES.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const caps = { serviceMonitor: false, gatewayAPI: false };
  const start = performance.now();
  await pool(0, n, OPERATOR_CONCURRENCY, async (i) => {
    const created = await client.create(RESOURCES.ModelDeployment, mdep(ns, i));
    const model = { uri: created.spec.model.uri ?? "", format: created.spec.model.format };
    const ctx = { runtimeImage: "registry.local/liftoff-runtime:bench", stable: model, capabilities: caps };
    await Promise.all(desiredObjects(created, ctx).map((d) => client.apply(d.resource, d.object)));
    const m = created.metadata ?? {};
    await client.apply(
      RESOURCES.ModelDeployment,
      {
        apiVersion: apiVersionOf(RESOURCES.ModelDeployment),
        kind: RESOURCES.ModelDeployment.kind,
        metadata: { name: m.name ?? "", namespace: ns },
        status: { observedGeneration: m.generation ?? 1, replicas: 0, readyReplicas: 0 },
      },
      "status",
    );
  });
  return n / ((performance.now() - start) / 1000);
}

/** Counts converged ModelDeployments of one namespace from watches (no polling lists that would load the server). */
class Convergence {
  private readonly mdeps: Informer<ModelDeployment>;
  private readonly deployments: Informer;

  constructor(client: KubeClient, ns: string) {
    this.mdeps = new Informer(client, RESOURCES.ModelDeployment, { namespace: ns });
    this.deployments = new Informer(client, RESOURCES.Deployment, {
      namespace: ns,
      labelSelector: "app.kubernetes.io/managed-by=liftoff",
    });
    void this.mdeps.run();
    void this.deployments.run();
  }

  /** Status for the current generation with Ready=True, and its Deployment exists. */
  count(): number {
    return this.mdeps
      .list()
      .filter(
        (m) =>
          m.status?.observedGeneration === m.metadata?.generation &&
          m.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") &&
          this.deployments.get(`${m.metadata?.namespace}/${m.metadata?.name}-predictor`) !== undefined,
      ).length;
  }

  /** Resolves with the seconds until `n` converged, printing progress; throws after `timeoutMs`. */
  async wait(n: number, timeoutMs: number, label: string, created: () => number = () => n): Promise<number> {
    const start = performance.now();
    let lastSaid = start;
    for (;;) {
      const done = this.count();
      const now = performance.now();
      if (done >= n) return (now - start) / 1000;
      if (now - lastSaid >= 5000) {
        say(`${label}: ${created()}/${n} created, ${done}/${n} converged after ${((now - start) / 1000).toFixed(0)} s`);
        lastSaid = now;
      }
      if (now - start > timeoutMs) throw new Error(`${label}: ${done}/${n} converged after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  stop(): void {
    this.mdeps.stop();
    this.deployments.stop();
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
  // Built here rather than in the npm script, so that --help answers at once.
  say("building the operator (npm run build)");
  execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  say(`starting a fresh "bench" cluster (${COUNT} ModelDeployments, rest ${REST_SECONDS} s)`);
  const cluster = await clusterUp("bench", { fresh: true, log: () => undefined });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const client = new KubeClient(kc, { fieldManager: "bench", qps: 10_000, burst: 20_000 });
  const rows: Array<[string, string, string]> = [];
  const watching: Convergence[] = [];
  try {
    // Phase 0: the floor, before anything else loads the API server.
    say(`measuring the write floor (${FLOOR_WRITES} ConfigMap creates, ${OPERATOR_CONCURRENCY} in flight)`);
    const floor = await writeFloor(client, "bench-floor", FLOOR_WRITES);
    rows.push([`API server write floor (${FLOOR_WRITES} plain creates)`, `${floor.toFixed(0)} writes/s`, ""]);
    say(`floor: ${floor.toFixed(0)} writes/s`);
    say(`measuring the same writes without an operator (${SAME_WRITES} objects)`);
    const same = await sameWritesFloor(client, "bench-same", SAME_WRITES);
    rows.push([`same writes without an operator (${SAME_WRITES} objects)`, `${same.toFixed(1)} objects/s`, ""]);
    say(`same writes without an operator: ${same.toFixed(1)} objects/s`);
    for (const ns of ["bench-a", "bench-b"]) {
      await client.create(RESOURCES.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    }
    const a = new Convergence(client, "bench-a");
    const b = new Convergence(client, "bench-b");
    watching.push(a, b);
    // Phase 1: converge COUNT objects from scratch. The timeout scales with the count: 3× the slower bound.
    const timeoutFor = (n: number) => Math.max(120_000, 3 * Math.max((n * 4) / floor, n / same) * 1000);
    let op = await startOperator(cluster.kubeconfig, "bench-1");
    const t0 = performance.now();
    let created = 0;
    let createSeconds = 0;
    const creating = pool(0, COUNT, CONCURRENCY, async (i) => {
      await client.create(RESOURCES.ModelDeployment, mdep("bench-a", i));
      created++;
    }).then(() => {
      createSeconds = (performance.now() - t0) / 1000;
    });
    await a.wait(COUNT, timeoutFor(COUNT), "phase 1", () => created);
    await creating;
    const convergeSeconds = (performance.now() - t0) / 1000;
    const w1 = await writes(op);
    const perObject = w1 / COUNT;
    const bound = (COUNT * perObject) / floor;
    rows.push([`create ${COUNT} ModelDeployments (client side)`, `${createSeconds.toFixed(1)} s`, ""]);
    rows.push(["all converged (children + Ready status)", `${convergeSeconds.toFixed(1)} s`, ""]);
    rows.push(["operator API writes per ModelDeployment", perObject.toFixed(2), "≤ 4"]);
    rows.push(["  of which, per ModelDeployment", await requestsByKind(op, COUNT, (v) => WRITE_VERBS.has(v)), ""]);
    const reads = (v: string) => !WRITE_VERBS.has(v) && v !== "watch";
    rows.push(["operator API reads per ModelDeployment", await requestsByKind(op, COUNT, reads), ""]);
    rows.push(["floor bound: objects × writes per object ÷ floor", `${bound.toFixed(1)} s`, ""]);
    rows.push(["converged ÷ floor bound", `${(convergeSeconds / bound).toFixed(2)}×`, "≤ 1.1×"]);
    rows.push([
      "converged ÷ same-writes bound (objects ÷ their rate)",
      `${(convergeSeconds / (COUNT / same)).toFixed(2)}×`,
      "",
    ]);
    // Phase 2: rest.
    say(`converged in ${convergeSeconds.toFixed(1)} s; resting ${REST_SECONDS} s`);
    await new Promise((r) => setTimeout(r, REST_SECONDS * 1000));
    const w2 = await writes(op);
    rows.push([`operator API writes during ${REST_SECONDS} s at rest`, String(w2 - w1), "0"]);
    const rss = await metric(op, "process_resident_memory_bytes");
    rows.push([`operator RSS with ${COUNT} objects cached`, `${(rss / 2 ** 20).toFixed(0)} MiB`, "≤ 1024 MiB"]);
    if (RESTART_COUNT === 0) {
      op.child.kill("SIGTERM");
      await new Promise((r) => op.child.once("exit", r));
      return;
    }
    // Phase 3: kill mid-run, restart, converge, audit.
    say(`phase 3: ${RESTART_COUNT} more, SIGKILL at 50 %, restart`);
    const half = Math.floor(RESTART_COUNT / 2);
    const createB = pool(0, RESTART_COUNT, CONCURRENCY, (i) =>
      client.create(RESOURCES.ModelDeployment, mdep("bench-b", i)),
    );
    await b.wait(half, timeoutFor(RESTART_COUNT), "phase 3, before the kill");
    op.child.kill("SIGKILL");
    await new Promise((r) => op.child.once("exit", r));
    await createB;
    const t1 = performance.now();
    op = await startOperator(cluster.kubeconfig, "bench-2");
    await b.wait(RESTART_COUNT, timeoutFor(RESTART_COUNT), "phase 3, after the restart");
    rows.push([
      `after SIGKILL at 50 % of ${RESTART_COUNT} and restart: converged in`,
      `${((performance.now() - t1) / 1000).toFixed(1)} s`,
      "",
    ]);
    const au = await audit(client, "bench-b");
    rows.push([
      "duplicate / orphaned / missing children",
      `${au.duplicates} / ${au.orphans} / ${au.missing}`,
      "0 / 0 / 0",
    ]);
    op.child.kill("SIGTERM");
  } finally {
    for (const w of watching) w.stop();
    for (const c of children) c.kill("SIGKILL");
    await clusterDown("bench");
    printTable(rows); // also what was measured before a failure
  }
}

function printTable(rows: Array<[string, string, string]>): void {
  if (rows.length === 0) return;
  const w: [number, number, number] = [
    Math.max(...rows.map((r) => r[0].length)),
    Math.max(...rows.map((r) => r[1].length)),
    10,
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
