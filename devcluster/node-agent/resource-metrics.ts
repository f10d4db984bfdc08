// The kubelet's /metrics/resource endpoint, which metrics-server scrapes (metrics.k8s.io, `kubectl top`, cpu HPAs):
// Prometheus text as the kubelet writes it, computed from /proc. A container's processes are found by the
// variables the agent gives every container (LIFTOFF_NODE_AGENT_STATE, LIFTOFF_NODE_NAME, LIFTOFF_PATH_PREFIX =
// <state>/pods/<ns>/<pod>/roots/<container>), which their children inherit: the whole process tree counts.
// CPU = utime + stime (+ the reaped children's cutime + cstime); working set ≈ resident set size (no cgroups here).
// A fake node's usage is its containers' plus an equal share of the agent's own (the kubelet and runtime overhead
// a real node's root cgroup also holds), so a node with no pods still reports a non-zero sample.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { relative, sep } from "node:path";

/** Linux's USER_HZ: /proc times are in these ticks on every architecture Node runs on. */
const CLOCK_TICKS = 100;

export interface ContainerRef {
  node: string;
  namespace: string;
  pod: string;
  container: string;
}

export interface ProcStat {
  /** utime + stime + cutime + cstime, in seconds. */
  cpuSeconds: number;
  rssPages: number;
  /** Start time, in seconds after boot. */
  startAfterBoot: number;
}

/** Fields of /proc/<pid>/stat (pure). The command name may hold spaces and parentheses: fields follow the last ')'. */
export function parseStat(text: string): ProcStat | undefined {
  const end = text.lastIndexOf(")");
  if (end < 0) return undefined;
  // After ")": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) ... starttime(22) vsize(23) rss(24).
  const f = text
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const at = (field: number) => Number(f[field - 3]);
  const ticks = at(14) + at(15) + at(16) + at(17);
  if (!Number.isFinite(ticks) || !Number.isFinite(at(24)) || !Number.isFinite(at(22))) return undefined;
  return { cpuSeconds: ticks / CLOCK_TICKS, rssPages: at(24), startAfterBoot: at(22) / CLOCK_TICKS };
}

/** Which container of this agent a process belongs to, from its environment (NUL-separated; pure). */
export function containerOf(environ: string, stateDir: string, podsDir: string): ContainerRef | undefined {
  let state: string | undefined;
  let node: string | undefined;
  let root: string | undefined;
  for (const entry of environ.split("\0")) {
    if (entry.startsWith("LIFTOFF_NODE_AGENT_STATE=")) state = entry.slice(25);
    else if (entry.startsWith("LIFTOFF_NODE_NAME=")) node = entry.slice(18);
    else if (entry.startsWith("LIFTOFF_PATH_PREFIX=")) root = entry.slice(20);
  }
  if (state !== stateDir || !node || !root) return undefined;
  const parts = relative(podsDir, root).split(sep);
  if (parts.length !== 4 || parts[2] !== "roots") return undefined;
  const [namespace = "", pod = "", , container = ""] = parts;
  return { node, namespace, pod, container };
}

export interface Usage {
  cpuSeconds: number;
  memoryBytes: number;
}

export interface ContainerUsage extends ContainerRef, Usage {
  /** Unix seconds: its oldest process's start. */
  startTime: number;
}

export interface ProcSample {
  ref: ContainerRef;
  stat: ProcStat;
}

/** Sums each container's processes (pure). */
export function aggregate(samples: ProcSample[], pageSize: number, bootTime: number): ContainerUsage[] {
  const byKey = new Map<string, ContainerUsage>();
  for (const { ref, stat } of samples) {
    const key = `${ref.node}\0${ref.namespace}\0${ref.pod}\0${ref.container}`;
    const start = bootTime + stat.startAfterBoot;
    const u = byKey.get(key);
    if (u) {
      u.cpuSeconds += stat.cpuSeconds;
      u.memoryBytes += stat.rssPages * pageSize;
      u.startTime = Math.min(u.startTime, start);
    } else {
      byKey.set(key, { ...ref, cpuSeconds: stat.cpuSeconds, memoryBytes: stat.rssPages * pageSize, startTime: start });
    }
  }
  return [...byKey.values()];
}

const HELP: Record<string, [string, "counter" | "gauge"]> = {
  container_cpu_usage_seconds_total: [
    "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
    "counter",
  ],
  container_memory_working_set_bytes: ["[STABLE] Current working set of the container in bytes", "gauge"],
  container_start_time_seconds: ["[STABLE] Start time of the container since unix epoch in seconds", "gauge"],
  node_cpu_usage_seconds_total: ["[STABLE] Cumulative cpu time consumed by the node in core-seconds", "counter"],
  node_memory_working_set_bytes: ["[STABLE] Current working set of the node in bytes", "gauge"],
  pod_cpu_usage_seconds_total: ["[STABLE] Cumulative cpu time consumed by the pod in core-seconds", "counter"],
  pod_memory_working_set_bytes: ["[STABLE] Current working set of the pod in bytes", "gauge"],
  scrape_error: ["[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise", "gauge"],
};

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/0+$/, ""));

/** One node's /metrics/resource body (pure): families in the kubelet's order, samples with timestamps (ms). */
export function renderResourceMetrics(
  containers: ContainerUsage[],
  overhead: Usage,
  timestampMs: number,
  error = false,
): string {
  const sorted = [...containers].sort((a, b) =>
    `${a.namespace}/${a.pod}/${a.container}`.localeCompare(`${b.namespace}/${b.pod}/${b.container}`),
  );
  const pods = new Map<string, Usage & { namespace: string; pod: string }>();
  for (const c of sorted) {
    const key = `${c.namespace}/${c.pod}`;
    const p = pods.get(key) ?? { namespace: c.namespace, pod: c.pod, cpuSeconds: 0, memoryBytes: 0 };
    p.cpuSeconds += c.cpuSeconds;
    p.memoryBytes += c.memoryBytes;
    pods.set(key, p);
  }
  const node = [...pods.values()].reduce(
    (n, p) => ({ cpuSeconds: n.cpuSeconds + p.cpuSeconds, memoryBytes: n.memoryBytes + p.memoryBytes }),
    { ...overhead },
  );
  const lines: string[] = [];
  const family = (name: string, samples: [string, number, boolean][]) => {
    const [help, type] = HELP[name] ?? ["", "gauge"];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, stamped] of samples)
      lines.push(`${name}${labels} ${num(value)}${stamped ? ` ${timestampMs}` : ""}`);
  };
  const cLabels = (c: ContainerUsage) =>
    `{container="${esc(c.container)}",namespace="${esc(c.namespace)}",pod="${esc(c.pod)}"}`;
  const pLabels = (p: { namespace: string; pod: string }) => `{namespace="${esc(p.namespace)}",pod="${esc(p.pod)}"}`;
  family(
    "container_cpu_usage_seconds_total",
    sorted.map((c) => [cLabels(c), c.cpuSeconds, true]),
  );
  family(
    "container_memory_working_set_bytes",
    sorted.map((c) => [cLabels(c), c.memoryBytes, true]),
  );
  family(
    "container_start_time_seconds",
    sorted.map((c) => [cLabels(c), c.startTime, true]),
  );
  family("node_cpu_usage_seconds_total", [["", node.cpuSeconds, true]]);
  family("node_memory_working_set_bytes", [["", node.memoryBytes, true]]);
  family(
    "pod_cpu_usage_seconds_total",
    [...pods.values()].map((p) => [pLabels(p), p.cpuSeconds, true]),
  );
  family(
    "pod_memory_working_set_bytes",
    [...pods.values()].map((p) => [pLabels(p), p.memoryBytes, true]),
  );
  family("scrape_error", [["", error ? 1 : 0, false]]);
  return `${lines.join("\n")}\n`;
}

let pageSizeCache: number | undefined;
function pageSize(): number {
  if (pageSizeCache === undefined) {
    try {
      pageSizeCache = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim()) || 4096;
    } catch {
      pageSizeCache = 4096;
    }
  }
  return pageSizeCache;
}

function bootTime(): number {
  const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
  return Number(m?.[1] ?? 0);
}

/** Every container process of this agent, by /proc (a process that exits mid-scan is skipped). */
function readContainerUsage(stateDir: string, podsDir: string): ContainerUsage[] {
  const samples: ProcSample[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ref = containerOf(readFileSync(`/proc/${entry}/environ`, "latin1"), stateDir, podsDir);
      if (!ref) continue;
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, "latin1"));
      if (stat) samples.push({ ref, stat });
    } catch {
      // gone, or not ours to read
    }
  }
  return aggregate(samples, pageSize(), bootTime());
}

/** The agent process's own usage, shared equally by its nodes. */
function agentOverhead(nodes: number): Usage {
  const cpu = process.cpuUsage();
  const n = Math.max(1, nodes);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6 / n, memoryBytes: process.memoryUsage().rss / n };
}

/**
 * A node's CPU counter must never go down (metrics-server drops a node whose counter fell, as after a reset): the
 * kubelet reads a cgroup that keeps the time of processes that exited. Summing live processes does not, so the CPU
 * time of containers (or child processes) that went away since the last scrape is carried in `departed` (pure).
 */
export function carryDeparted(
  state: { departed: number; last: Map<string, number> },
  containers: ContainerUsage[],
): { departed: number; last: Map<string, number> } {
  let departed = state.departed;
  const last = new Map<string, number>();
  for (const c of containers) {
    const key = `${c.namespace}/${c.pod}/${c.container}`;
    const before = state.last.get(key);
    if (before !== undefined && c.cpuSeconds < before) departed += before - c.cpuSeconds;
    last.set(key, c.cpuSeconds);
  }
  for (const [key, before] of state.last) if (!last.has(key)) departed += before;
  return { departed, last };
}

const nodeCarry = new Map<string, { departed: number; last: Map<string, number> }>();

/**
 * metrics-server scrapes every node at once, and one scan of /proc sees the containers of all of them: the nodes of
 * this agent share a scan made within the last second (its time is the samples' timestamp).
 */
let lastScan: { at: number; usage: ContainerUsage[] } | undefined;
function sharedScan(stateDir: string, podsDir: string): { at: number; usage: ContainerUsage[] } {
  const now = Date.now();
  if (!lastScan || now - lastScan.at > 1000) lastScan = { at: now, usage: readContainerUsage(stateDir, podsDir) };
  return lastScan;
}

/** One node's endpoint body, now. */
export function nodeResourceMetrics(opts: { node: string; nodes: number; stateDir: string; podsDir: string }): string {
  try {
    const scan = sharedScan(opts.stateDir, opts.podsDir);
    const mine = scan.usage.filter((c) => c.node === opts.node);
    const carry = carryDeparted(nodeCarry.get(opts.node) ?? { departed: 0, last: new Map() }, mine);
    nodeCarry.set(opts.node, carry);
    const overhead = agentOverhead(opts.nodes);
    return renderResourceMetrics(
      mine,
      { cpuSeconds: overhead.cpuSeconds + carry.departed, memoryBytes: overhead.memoryBytes },
      scan.at,
    );
  } catch {
    return renderResourceMetrics([], agentOverhead(opts.nodes), Date.now(), true);
  }
}
