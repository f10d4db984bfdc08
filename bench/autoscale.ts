/**
 * npm run bench:autoscale — how fast a ModelDeployment scales with load on the local cluster's real metrics pipeline
 * (issue #30): the runtime's request durations scraped by the cluster's Prometheus every second, KEDA's prometheus
 * trigger (concurrency = Little's law over windowSeconds), the HPA KEDA makes (controller-manager sync every 5 s),
 * the scheduler and the node agent starting pods, and the operator's activator for scale from zero.
 *
 * 1. Stepped load, open-loop through a kube-proxy-like balancer (test/support/balancer.ts: EndpointSlices, ready
 *    and non-terminating endpoints only): --base req/s, then --peak req/s, then --base again, on the penguins model
 *    (raw records in, batching up to 20 ms, so in-flight requests grow with the rate) with autoscaling min 1,
 *    max --max, target --target in flight per pod, windowSeconds 10, scale-up at once, scale-down after 10 s.
 *    Reports: step → first new desired count, → peak desired count, → those pods Ready; step down → first pod
 *    removed, → back to 1; failed requests during scale-out and scale-in (target 0); p99 in the first 20 s of the
 *    step against the base phase's and the step's last 20 s; pod-seconds against a fixed deployment of the peak
 *    size for the same time.
 * 2. Scale from zero, --zero-runs times: a minReplicas 0 deployment (idleSeconds 5) left to reach zero pods, then one
 *    request through the activator. Reports its latency against the pod's cold start (created → Ready, polled every
 *    50 ms); target: latency ≤ cold start + 1 s.
 *
 * Knobs: --cluster NAME (default "bench"; started if not running, LIFTOFF_PORT_BASE moves its ports), --base 20,
 * --peak 200, --base-seconds 20, --peak-seconds 60, --after-seconds 60, --max 4, --target 1, --zero-runs 3.
 * The default step is what one pod absorbs on this shared two-core machine while the others start (see
 * docs/performance.md "Autoscaling" for 50 → 500 → 50, the issue's example).
 * Needs runtime/dist (npm run build:runtime: the cluster's pods run it).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
const { CoreV1Api, KubeConfig } = await import("@kubernetes/client-node");
const { default: pino } = await import("pino");
const { ensureClusterUp } = await import("../devcluster/cluster/cluster.js");
const { parseConfig } = await import("../operator/src/config.js");
const { startOperator } = await import("../operator/src/operator.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { autoscalingFlags, PENGUIN_BODY, penguinsOnClaim, predictPath, ScaleWatcher, servingSpec } = await import(
  "../test/support/autoscale.js"
);
const { outcomeOf, ServiceBalancer } = await import("../test/support/balancer.js");
const { getModelDeployment } = await import("../test/support/operator.js");
const { formatPhases, percentile, runLoad, windowP99 } = await import("../test/support/load.js");
const { createModelDeployment } = await import("../test/support/operator.js");

const { values } = parseArgs({
  options: {
    cluster: { type: "string", default: "bench" },
    base: { type: "string", default: "20" },
    peak: { type: "string", default: "200" },
    "base-seconds": { type: "string", default: "20" },
    "peak-seconds": { type: "string", default: "60" },
    "after-seconds": { type: "string", default: "60" },
    max: { type: "string", default: "4" },
    target: { type: "string", default: "1" },
    "zero-runs": { type: "string", default: "3" },
  },
});
const num = (k: keyof typeof values, min: number): number => {
  const v = Number(values[k]);
  if (!Number.isFinite(v) || v < min) throw new Error(`bench:autoscale: --${k} must be a number ≥ ${min}`);
  return v;
};
const BASE = num("base", 1);
const PEAK = num("peak", 1);
const BASE_S = num("base-seconds", 1);
const PEAK_S = num("peak-seconds", 1);
const AFTER_S = num("after-seconds", 1);
const MAX = num("max", 2);
const TARGET = num("target", 1);
const ZERO_RUNS = num("zero-runs", 0);
const REPO = path.resolve(import.meta.dirname, "..");
const log = (s: string) => process.stderr.write(`bench:autoscale: ${s}\n`);
const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const msf = (ms: number) => `${ms.toFixed(1)} ms`;

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench:autoscale: ${what} not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function main(): Promise<void> {
  const run = startRun();
  if (!existsSync(path.join(REPO, "runtime/dist/main.js"))) {
    throw new Error("runtime/dist/main.js is missing and the cluster's pods run it: npm run build:runtime");
  }
  const cluster = await ensureClusterUp(values.cluster, { log: (l) => log(l) });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `autoscale-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const op = await startOperator(
    parseConfig(
      [
        `--namespaces=${ns}`,
        "--metrics-bind-address=127.0.0.1:0",
        "--leader-elect=false",
        ...(await autoscalingFlags(values.cluster)),
      ],
      {},
    ),
    { kubeConfig: kc, log: pino({ level: "silent" }) },
  );
  try {
    await op.leading;
    const uri = await penguinsOnClaim(kc, ns);
    const stepped = await steppedLoad(kc, ns, uri);
    const zero = await fromZero(kc, ns, uri);
    const lines = [
      describeRun(run, `cluster "${values.cluster}" (node agent: pods are local processes)`),
      "",
      ...stepped,
      "",
      ...zero,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await op.stop();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

async function steppedLoad(kc: InstanceType<typeof KubeConfig>, ns: string, uri: string): Promise<string[]> {
  await createModelDeployment(kc, ns, "step", {
    ...servingSpec(uri),
    autoscaling: {
      minReplicas: 1,
      maxReplicas: MAX,
      metric: "concurrency",
      target: TARGET,
      windowSeconds: 10,
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: MAX, periodSeconds: 5 }] },
        scaleDown: { stabilizationWindowSeconds: 10, policies: [{ type: "Percent", value: 100, periodSeconds: 5 }] },
      },
    },
  });
  const lb = new ServiceBalancer(kc, ns, "step", "http");
  const watch = new ScaleWatcher(kc, ns, "step", { intervalMs: 200 });
  try {
    await lb.waitFor("one ready endpoint", (e) => e.length === 1, 180_000);
    await until(
      "engine keda",
      async () =>
        (await getModelDeployment(kc, ns, "step")).status?.autoscaling?.engine === "keda" ? true : undefined,
      60_000,
    );
    log(`stepped load: ${BASE} → ${PEAK} → ${BASE} req/s (${BASE_S} s, ${PEAK_S} s, ${AFTER_S} s)`);
    const loadStart = watch.now();
    const report = await runLoad(
      [
        { name: "base", rps: BASE, seconds: BASE_S },
        { name: "step", rps: PEAK, seconds: PEAK_S },
        { name: "after", rps: BASE, seconds: AFTER_S },
      ],
      async () => outcomeOf(await lb.request({ path: predictPath("step"), body: PENGUIN_BODY, timeoutMs: 10_000 })),
    );
    const loadEnd = watch.now();
    log(formatPhases(report.phases));
    // The timeline after the load too, in case scale-in had not finished within it.
    await until(
      "back to one pod",
      async () => (watch.last()?.desired === 1 && watch.last()?.ready === 1 ? true : undefined),
      180_000,
    );
    const up = loadStart + BASE_S * 1000;
    const down = up + PEAK_S * 1000;
    const during = watch.points.filter((p) => p.t >= up && p.t < down);
    const peak = Math.max(1, ...during.map((p) => p.desired));
    // The desired count when the load steps down (the HPA may already have trimmed the peak while the step ran).
    const atDown = during.at(-1)?.desired ?? peak;
    const t = {
      firstDesired: watch.firstAfter(up, (p) => p.desired > 1),
      peakDesired: watch.firstAfter(up, (p) => p.desired >= peak),
      peakReady: watch.firstAfter(up, (p) => p.ready >= peak),
      firstDown: watch.firstAfter(down, (p) => p.desired < atDown),
      allDown: watch.firstAfter(down, (p) => p.desired === 1),
      allDownReady: watch.firstAfter(down, (p) => p.desired === 1 && p.ready === 1),
    };
    const rel = (x: number | undefined, from: number) => (x === undefined ? undefined : x - from);
    const [base, step, after] = report.phases;
    const loadUp = BASE_S * 1000;
    const podSeconds = watch.podSeconds(loadStart, loadEnd);
    const fixedSeconds = (peak * (loadEnd - loadStart)) / 1000;
    const nodesOf = (p: typeof step) =>
      Object.entries(p?.byNode ?? {})
        .map(([n, c]) => `${n} ${c}`)
        .join(", ");
    const reasons = (p: typeof step) =>
      p?.failed
        ? ` (${Object.entries(p.reasons)
            .map(([r, n]) => `${r}×${n}`)
            .join(", ")})`
        : "";
    return [
      `stepped load ${BASE} → ${PEAK} → ${BASE} req/s, penguins model, autoscaling min 1 max ${MAX} target ${TARGET} in flight/pod, window 10 s:`,
      "",
      "| | time |",
      "| --- | --- |",
      `| step up → first new desired count (${watch.points.find((p) => p.t >= up && p.desired > 1)?.desired ?? "—"}) | ${secs(rel(t.firstDesired, up))} |`,
      `| step up → peak desired count (${peak}) | ${secs(rel(t.peakDesired, up))} |`,
      `| step up → ${peak} pods Ready | ${secs(rel(t.peakReady, up))} |`,
      `| step down → first lower desired count (from ${atDown}) | ${secs(rel(t.firstDown, down))} |`,
      `| step down → desired 1 | ${secs(rel(t.allDown, down))} |`,
      `| step down → 1 pod, Ready | ${secs(rel(t.allDownReady, down))} |`,
      "",
      "| phase | requests | failed | p50 | p99 | pods | by node |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...[base, step, after].map(
        (p) =>
          `| ${p?.name} ${p?.rps} req/s × ${p?.seconds} s | ${p?.sent} | ${p?.failed}${reasons(p)} | ${msf(p?.p50Ms ?? Number.NaN)} | ${msf(p?.p99Ms ?? Number.NaN)} | ${Object.keys(p?.byPod ?? {}).length} | ${nodesOf(p)} |`,
      ),
      "",
      `p99 first 20 s of the step ${msf(windowP99(report.samples, loadUp, loadUp + 20_000))}, ` +
        `last 20 s of the step ${msf(windowP99(report.samples, loadUp + PEAK_S * 1000 - 20_000, loadUp + PEAK_S * 1000))}, ` +
        `base phase ${msf(base?.p99Ms ?? Number.NaN)} ` +
        `(${(windowP99(report.samples, loadUp, loadUp + 20_000) / (base?.p99Ms ?? Number.NaN)).toFixed(2)}× steady)`,
      `pod-seconds over the ${((loadEnd - loadStart) / 1000).toFixed(0)} s of load: ${podSeconds.toFixed(0)} autoscaled vs ` +
        `${fixedSeconds.toFixed(0)} for a fixed ${peak} pods (${(podSeconds / fixedSeconds).toFixed(2)}×)`,
      `timeline (s from the load's start: desired/ready): ${watch.points
        .filter((p) => p.t >= loadStart)
        .map((p) => `${((p.t - loadStart) / 1000).toFixed(1)} ${p.desired}/${p.ready}`)
        .join(", ")}`,
    ];
  } finally {
    watch.stop();
    lb.close();
  }
}

async function fromZero(kc: InstanceType<typeof KubeConfig>, ns: string, uri: string): Promise<string[]> {
  if (ZERO_RUNS === 0) return [];
  const core = kc.makeApiClient(CoreV1Api);
  await createModelDeployment(kc, ns, "zero", {
    ...servingSpec(uri),
    autoscaling: {
      minReplicas: 0,
      maxReplicas: 1,
      target: TARGET,
      windowSeconds: 5,
      scaleToZero: { idleSeconds: 5, activationTimeoutSeconds: 120 },
    },
  });
  const lb = new ServiceBalancer(kc, ns, "zero", "http");
  const runs: { latency: number; coldStart: number; toZero?: number }[] = [];
  try {
    for (let i = 1; i <= ZERO_RUNS; i++) {
      const idleFrom = Date.now();
      await until(
        "zero pods",
        async () => {
          const pods = await core.listNamespacedPod({
            namespace: ns,
            labelSelector: "liftoff.dev/modeldeployment=zero",
          });
          return pods.items.length === 0 ? true : undefined;
        },
        240_000,
      );
      // From the previous run's answer; the first run's count from the create.
      const toZero = i > 1 ? Date.now() - idleFrom : undefined;
      await lb.waitFor("the activator's endpoint", (e) => e.length === 1 && !e[0]?.pod, 60_000);
      const watch = new ScaleWatcher(kc, ns, "zero", { intervalMs: 50 });
      const res = await lb.request({ path: predictPath("zero"), body: PENGUIN_BODY, timeoutMs: 150_000 });
      watch.stop();
      if (res.status !== 200)
        throw new Error(`bench:autoscale: first request at zero: ${res.status} ${res.error ?? res.body}`);
      const pod = [...watch.pods.values()].find((p) => p.readyAt !== undefined);
      // The watcher starts just before the request, so createdAt is when the activation made the pod.
      const coldStart = pod?.readyAt !== undefined ? pod.readyAt - pod.createdAt : Number.NaN;
      runs.push({ latency: res.latencyMs, coldStart, ...(toZero !== undefined ? { toZero } : {}) });
      log(
        `from zero ${i}: first request ${msf(res.latencyMs)}, pod created → Ready ${msf(coldStart)} (idle → zero pods ${secs(toZero)})`,
      );
    }
  } finally {
    lb.close();
  }
  const med = (xs: number[]) => percentile(xs, 50);
  const over = runs.map((r) => r.latency - r.coldStart);
  const toZero = runs.flatMap((r) => (r.toZero === undefined ? [] : [r.toZero]));
  return [
    `scale from zero (${ZERO_RUNS} runs, idleSeconds 5, window 5 s; one request through the activator each):`,
    "",
    "| | median | max |",
    "| --- | --- | --- |",
    `| first request's latency | ${msf(med(runs.map((r) => r.latency)))} | ${msf(Math.max(...runs.map((r) => r.latency)))} |`,
    `| its pod: created → Ready (cold start) | ${msf(med(runs.map((r) => r.coldStart)))} | ${msf(Math.max(...runs.map((r) => r.coldStart)))} |`,
    `| latency − cold start (target ≤ 1 s) | ${msf(med(over))} | ${msf(Math.max(...over))} |`,
    `| last answer → zero pods (idleSeconds, then scale-in) | ${toZero.length ? secs(med(toZero)) : "—"} | ${toZero.length ? secs(Math.max(...toZero)) : "—"} |`,
  ];
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:autoscale: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
