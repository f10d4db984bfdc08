// Open-loop load at fixed request rates, in phases (e.g. 50 → 500 → 50 req/s for N s each): request i of a phase is
// due at its start + i/rate whatever the answers so far, as users arrive, so a slow or scaling server sees the rate
// it would see, and latency is measured from when the request was due (no coordinated omission: a stalled sender
// would otherwise hide the stall). Per phase: ok and failed counts with the failure reasons, p50/p99, and how many
// requests each pod and each node served.

export interface LoadPhase {
  name: string;
  /** Requests per second. */
  rps: number;
  seconds: number;
}

/** What one request came to; `send` never rejects (a thrown error counts as a failure named by its message). */
export interface Outcome {
  ok: boolean;
  /** Why it failed: "503", "ECONNRESET", "timeout" … */
  reason?: string;
  pod?: string;
  node?: string;
}

export interface Sample extends Outcome {
  phase: string;
  /** When it was due, in ms from the load's start. */
  t: number;
  /** Due → answered, in ms. */
  latencyMs: number;
}

export interface PhaseSummary {
  name: string;
  rps: number;
  seconds: number;
  sent: number;
  ok: number;
  failed: number;
  /** Failure reason → count. */
  reasons: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  byPod: Record<string, number>;
  byNode: Record<string, number>;
  /** Failed requests by the pod that answered them (those with no pod: "(none)"). */
  failedByPod: Record<string, number>;
}

export interface LoadReport {
  phases: PhaseSummary[];
  samples: Sample[];
  /** Wall-clock time (Date.now()) the first phase started. */
  startedAt: number;
}

/** The p-th percentile (nearest rank) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** How many of a phase's requests are due `elapsedMs` into it (never more than the phase holds). */
export function dueCount(phase: LoadPhase, elapsedMs: number): number {
  const total = Math.round(phase.rps * phase.seconds);
  return Math.max(0, Math.min(total, Math.floor((elapsedMs * phase.rps) / 1000) + 1));
}

const count = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export function summarize(phase: LoadPhase, samples: readonly Sample[]): PhaseSummary {
  const mine = samples.filter((s) => s.phase === phase.name);
  const reasons: Record<string, number> = {};
  const byPod: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  const failedByPod: Record<string, number> = {};
  const okLatencies: number[] = [];
  for (const s of mine) {
    if (!s.ok) {
      count(reasons, s.reason ?? "unknown");
      count(failedByPod, s.pod ?? "(none)");
      continue;
    }
    okLatencies.push(s.latencyMs);
    count(byPod, s.pod ?? "(unknown)");
    count(byNode, s.node ?? "(unknown)");
  }
  return {
    name: phase.name,
    rps: phase.rps,
    seconds: phase.seconds,
    sent: mine.length,
    ok: okLatencies.length,
    failed: mine.length - okLatencies.length,
    reasons,
    p50Ms: percentile(okLatencies, 50),
    p99Ms: percentile(okLatencies, 99),
    byPod,
    byNode,
    failedByPod,
  };
}

/** p99 of the ok requests due in [fromMs, toMs) of the load. */
export function windowP99(samples: readonly Sample[], fromMs: number, toMs: number): number {
  return percentile(
    samples.filter((s) => s.ok && s.t >= fromMs && s.t < toMs).map((s) => s.latencyMs),
    99,
  );
}

export interface LoadOptions {
  /** Called when each phase starts (e.g. to note the step's time). */
  onPhase?(phase: LoadPhase, atMs: number): void;
  /** Most requests outstanding at once; one more due is counted failed ("client: N in flight") rather than sent. */
  maxInFlight?: number;
}

/** Runs the phases back to back and resolves once every request sent has been answered. */
export async function runLoad(
  phases: readonly LoadPhase[],
  send: () => Promise<Outcome>,
  opts: LoadOptions = {},
): Promise<LoadReport> {
  const maxInFlight = opts.maxInFlight ?? 2000;
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const origin = performance.now();
  const startedAt = Date.now();
  let phaseStart = 0;
  for (const phase of phases) {
    opts.onPhase?.(phase, phaseStart);
    const total = Math.round(phase.rps * phase.seconds);
    let sent = 0;
    while (sent < total) {
      const due = dueCount(phase, performance.now() - origin - phaseStart);
      for (; sent < due; sent++) {
        const t = phaseStart + (sent * 1000) / phase.rps;
        if (pending.size >= maxInFlight) {
          samples.push({ phase: phase.name, t, latencyMs: 0, ok: false, reason: `client: ${maxInFlight} in flight` });
          continue;
        }
        const p: Promise<void> = send()
          .catch((err: unknown): Outcome => ({ ok: false, reason: (err as Error)?.message ?? String(err) }))
          .then((o) => {
            samples.push({ ...o, phase: phase.name, t, latencyMs: performance.now() - origin - t });
            pending.delete(p);
          });
        pending.add(p);
      }
      if (sent < total) {
        const nextAt = phaseStart + (sent * 1000) / phase.rps;
        await new Promise((r) => setTimeout(r, Math.max(1, nextAt - (performance.now() - origin))));
      }
    }
    phaseStart += phase.seconds * 1000;
    // The next phase starts on schedule, not when this one's last request was sent.
    const wait = phaseStart - (performance.now() - origin);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(pending);
  samples.sort((a, b) => a.t - b.t);
  return { phases: phases.map((p) => summarize(p, samples)), samples, startedAt };
}

/** One line per phase, for logs and failure messages. */
export function formatPhases(phases: readonly PhaseSummary[]): string {
  return phases
    .map((p) => {
      const reasons = [
        ...Object.entries(p.reasons).map(([r, n]) => `${r}×${n}`),
        ...Object.entries(p.failedByPod).map(([pod, n]) => `${pod}:${n}`),
      ].join(" ");
      const pods = Object.values(p.byPod).length;
      const nodes = Object.entries(p.byNode)
        .map(([n, c]) => `${n}:${c}`)
        .join(" ");
      return (
        `${p.name} ${p.rps}/s×${p.seconds}s: ${p.ok}/${p.sent} ok${p.failed ? ` (${reasons})` : ""}, ` +
        `p50 ${p.p50Ms.toFixed(1)} ms p99 ${p.p99Ms.toFixed(1)} ms, ${pods} pods, nodes ${nodes}`
      );
    })
    .join("\n");
}
