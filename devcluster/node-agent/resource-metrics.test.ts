import { describe, expect, it } from "vitest";
import {
  aggregate,
  type ContainerUsage,
  carryDeparted,
  containerOf,
  parseStat,
  renderResourceMetrics,
} from "./resource-metrics.js";

// A real /proc/<pid>/stat line, its command name with a space and a parenthesis.
const STAT =
  "4242 (node (worker)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 7 3 20 0 11 0 123456 1000000 2560 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

describe("parseStat", () => {
  it("reads CPU ticks (own and reaped children's), RSS pages and start time after the command name", () => {
    expect(parseStat(STAT)).toEqual({ cpuSeconds: 3.1, rssPages: 2560, startAfterBoot: 1234.56 });
  });

  it("refuses a line without the command's closing parenthesis", () => {
    expect(parseStat("4242 (broken S 1")).toBeUndefined();
  });
});

describe("containerOf", () => {
  const env = (vars: Record<string, string>) =>
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\0");
  const ours = {
    PATH: "/usr/bin",
    LIFTOFF_NODE_AGENT_STATE: "/s",
    LIFTOFF_NODE_NAME: "cpu-node-1",
    LIFTOFF_PATH_PREFIX: "/s/pods/ns1/web-abc/roots/model",
  };

  it("names node, namespace, pod and container from the agent's variables", () => {
    expect(containerOf(env(ours), "/s", "/s/pods")).toEqual({
      node: "cpu-node-1",
      namespace: "ns1",
      pod: "web-abc",
      container: "model",
    });
  });

  it("ignores processes of another cluster's agent and processes without the variables", () => {
    expect(containerOf(env({ ...ours, LIFTOFF_NODE_AGENT_STATE: "/other" }), "/s", "/s/pods")).toBeUndefined();
    expect(containerOf(env({ PATH: "/usr/bin" }), "/s", "/s/pods")).toBeUndefined();
    expect(containerOf(env({ ...ours, LIFTOFF_PATH_PREFIX: "/elsewhere/x" }), "/s", "/s/pods")).toBeUndefined();
  });
});

describe("aggregate", () => {
  it("sums a container's process tree and keeps its oldest start", () => {
    const ref = { node: "n", namespace: "ns", pod: "p", container: "c" };
    const [u, ...rest] = aggregate(
      [
        { ref, stat: { cpuSeconds: 2, rssPages: 10, startAfterBoot: 50 } },
        { ref, stat: { cpuSeconds: 0.5, rssPages: 5, startAfterBoot: 40 } },
        { ref: { ...ref, container: "sidecar" }, stat: { cpuSeconds: 1, rssPages: 1, startAfterBoot: 60 } },
      ],
      4096,
      1000,
    );
    expect(rest).toHaveLength(1);
    expect(u).toEqual({ ...ref, cpuSeconds: 2.5, memoryBytes: 15 * 4096, startTime: 1040 });
  });
});

describe("renderResourceMetrics", () => {
  const c = (container: string, pod: string, cpuSeconds: number, memoryBytes: number): ContainerUsage => ({
    node: "n",
    namespace: "ns",
    pod,
    container,
    cpuSeconds,
    memoryBytes,
    startTime: 1700000000,
  });
  const text = renderResourceMetrics(
    [c("model", "a", 1.5, 1000), c("sidecar", "a", 0.25, 500), c("model", "b", 2, 2000)],
    { cpuSeconds: 0.5, memoryBytes: 100 },
    1700000001234,
  );

  it("writes container, pod and node series with the kubelet's labels and timestamps", () => {
    expect(text).toContain(
      'container_cpu_usage_seconds_total{container="model",namespace="ns",pod="a"} 1.5 1700000001234',
    );
    expect(text).toContain(
      'container_memory_working_set_bytes{container="sidecar",namespace="ns",pod="a"} 500 1700000001234',
    );
    expect(text).toContain('pod_cpu_usage_seconds_total{namespace="ns",pod="a"} 1.75 1700000001234');
    expect(text).toContain('pod_memory_working_set_bytes{namespace="ns",pod="b"} 2000 1700000001234');
    expect(text).toContain("node_cpu_usage_seconds_total 4.25 1700000001234");
    expect(text).toContain("node_memory_working_set_bytes 3600 1700000001234");
    expect(text).toContain("# TYPE container_cpu_usage_seconds_total counter");
    expect(text.trimEnd().endsWith("scrape_error 0")).toBe(true);
  });

  it("reports a node with no pods by the agent's share alone, and a failed scan as scrape_error 1", () => {
    const empty = renderResourceMetrics([], { cpuSeconds: 0.5, memoryBytes: 100 }, 5, true);
    expect(empty).toContain("node_cpu_usage_seconds_total 0.5 5");
    expect(empty).not.toContain("container_cpu_usage_seconds_total{");
    expect(empty).toContain("scrape_error 1");
  });

  it("escapes label values", () => {
    const odd = renderResourceMetrics([c('we"ird\\', "p", 1, 1)], { cpuSeconds: 0, memoryBytes: 0 }, 1);
    expect(odd).toContain('container="we\\"ird\\\\"');
  });
});

describe("carryDeparted", () => {
  const usage = (container: string, cpuSeconds: number): ContainerUsage => ({
    node: "cpu-node-1",
    namespace: "ns",
    pod: "p",
    container,
    cpuSeconds,
    memoryBytes: 0,
    startTime: 0,
  });
  it("keeps a node's CPU counter from falling when a container goes away or a child process exits", () => {
    let state = carryDeparted({ departed: 0, last: new Map() }, [usage("a", 5), usage("b", 3)]);
    expect(state.departed).toBe(0);
    // b is gone and a's child exited (a falls from 5 to 4): the node keeps both amounts.
    state = carryDeparted(state, [usage("a", 4)]);
    expect(state.departed).toBe(4);
    const node = (s: typeof state, live: number) => s.departed + live;
    expect(node(state, 4)).toBeGreaterThanOrEqual(5 + 3);
    state = carryDeparted(state, [usage("a", 6)]);
    expect([state.departed, node(state, 6)]).toEqual([4, 10]);
  });
});
