// Fault 7: steady load for --soak-minutes. Each serving pod's RSS (its process's VmRSS) is sampled every 10 s and
// fitted with a least-squares line after the first minute (warm-up: JIT, pools): its slope in MB/h is the figure
// stated. p99 is taken per 5-minute window (one window per minute for soaks under 10 minutes). Target: 0 failed,
// growth over the soak (slope × time) ≤ 16 MB on every pod, and the worst window's p99 ≤ 3 × the best one's.
import { readFileSync } from "node:fs";
import { deploy, type Env } from "../env.js";
import { windowOf } from "../load.js";
import { slope } from "../stats.js";
import type { Row } from "../table.js";
import { containerPid, servingPods, sleep, startServingLoad, waitRolledOut } from "./serving.js";

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

const MAX_GROWTH_MB = 16;

export async function soak(env: Env): Promise<Row> {
  const minutes = env.options.soakMinutes;
  await deploy(env, env.models[1], 2);
  await waitRolledOut(env, 2, 120_000, env.models[1].digest);
  const pods = await servingPods(env);
  const pids = new Map(pods.map((p) => [p.metadata?.name ?? "", containerPid(p)] as const));
  const rss = new Map<string, [number, number][]>([...pids.keys()].map((k) => [k, []]));
  const serving = await startServingLoad(env);
  const t0 = performance.now();
  const end = t0 + minutes * 60_000;
  let nextLog = t0 + 60_000;
  while (performance.now() < end) {
    const h = (performance.now() - t0) / 3_600_000;
    for (const [pod, pid] of pids) if (pid !== undefined) rss.get(pod)?.push([h, rssMb(pid)]);
    if (performance.now() >= nextLog) {
      const w = windowOf(serving.load.samples, nextLog - 60_000, nextLog);
      env.log(
        `soak: minute ${Math.round((nextLog - t0) / 60_000)}/${minutes}: ${w.sent} sent, ${w.failed} failed, p99 ${w.p99Ms.toFixed(0)} ms`,
      );
      nextLog += 60_000;
    }
    await sleep(Math.min(10_000, Math.max(0, end - performance.now())));
  }
  await serving.stop();
  const all = windowOf(serving.load.samples);
  const windowMs = (minutes < 10 ? 1 : 5) * 60_000;
  const p99s: number[] = [];
  for (let from = t0; from + windowMs <= end + 1000; from += windowMs) {
    p99s.push(windowOf(serving.load.samples, from, from + windowMs).p99Ms);
  }
  const hours = minutes / 60;
  const fits = [...rss].map(([pod, pts]) => {
    const steady = pts.filter(([h, y]) => h >= 1 / 60 && Number.isFinite(y));
    const s = slope(steady);
    return { pod, slope: s, first: steady[0]?.[1] ?? Number.NaN, last: steady.at(-1)?.[1] ?? Number.NaN };
  });
  const growthOk = fits.every((f) => Number.isFinite(f.slope) && f.slope * hours <= MAX_GROWTH_MB);
  const p99Ok = p99s.length > 0 && Math.max(...p99s) <= 3 * Math.min(...p99s);
  const ok = all.failed === 0 && growthOk && p99Ok;
  const fmtSlope = fits
    .map(
      (f) =>
        `${f.pod.replace(/^.*-/, "…")} ${f.slope.toFixed(1)} MB/h (${f.first.toFixed(0)} → ${f.last.toFixed(0)} MB)`,
    )
    .join(", ");
  return {
    fault: "soak",
    load: `${env.options.rate} req/s, 2 pods, ${minutes} min`,
    sent: all.sent,
    failed: all.failed,
    dataLost: "-",
    recovery: "-",
    verdict: ok ? "pass" : "FAIL",
    note:
      `target 0 failed, RSS growth ≤ ${MAX_GROWTH_MB} MB, p99 worst ≤ 3 × best window; RSS slope ${fmtSlope}; ` +
      `p99 per ${windowMs / 60_000}-min window ${p99s.map((p) => p.toFixed(0)).join(" / ")} ms` +
      (all.errors.length ? `; errors: ${all.errors.join("; ")}` : ""),
  };
}
