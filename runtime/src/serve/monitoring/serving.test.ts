import { describe, expect, it } from "vitest";
import { RuntimeMetrics } from "../metrics.js";
import { SERVING_LATENCY_BOUNDS_MS, ServingWindow } from "./serving.js";

const bucketOf = (w: ServingWindow) => w.snapshot().latencyMs.counts.findIndex((c) => c > 0);

describe("ServingWindow", () => {
  it("counts requests and 5xx, leaves 4xx out, and bins each latency by its upper edge", () => {
    const w = new ServingWindow({ windowSeconds: 60, slots: 6, now: () => 0 });
    w.record(200, 0.001);
    w.record(500, 0.001);
    w.record(503, 0.001);
    w.record(400, 0.001);
    w.record(404, 0.001);
    const s = w.snapshot();
    expect([s.requests, s.errors]).toEqual([3, 2]);
    expect(s.latencyMs.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.latencyMs.counts).toHaveLength(s.latencyMs.bounds.length + 1);
  });

  it.each([
    [0.05, 0], // below the first edge (0.1 ms)
    [0.1, 0], // on an edge: that bucket (le, as Prometheus)
    [0.11, 1],
    [1, SERVING_LATENCY_BOUNDS_MS.findIndex((b) => b >= 1)],
    [1e9, SERVING_LATENCY_BOUNDS_MS.length], // above every edge
  ])("%d ms falls in bucket %d", (ms, bucket) => {
    const w = new ServingWindow({ windowSeconds: 60, slots: 6, now: () => 0 });
    w.record(200, ms / 1000);
    expect(bucketOf(w)).toBe(bucket);
  });

  it("edges rise by about 1.2× from 0.1 ms to about 50 s", () => {
    const b = SERVING_LATENCY_BOUNDS_MS;
    expect([b[0], b.at(-1)]).toEqual([0.1, 50200]);
    for (let i = 1; i < b.length; i++) expect((b[i] as number) / (b[i - 1] as number)).toBeCloseTo(1.2, 1);
  });

  it("forgets requests older than the window", () => {
    let t = 0;
    const w = new ServingWindow({ windowSeconds: 10, slots: 5, now: () => t });
    w.record(500, 0.002);
    t = 6_000;
    w.record(200, 0.002);
    expect([w.snapshot().requests, w.snapshot().errors]).toEqual([2, 1]);
    t = 10_500; // the first slot is out
    expect([w.snapshot().requests, w.snapshot().errors]).toEqual([1, 0]);
  });
});

describe("RuntimeMetrics feeds the window", () => {
  it("every request it counts (HTTP or gRPC, by status) reaches the window once it is attached", () => {
    const metrics = new RuntimeMetrics("m");
    const w = new ServingWindow({ windowSeconds: 60, slots: 6 });
    metrics.request("v1", 200, 0.001); // before: not in the window
    metrics.countServingIn(w);
    metrics.request("grpc-v2", 500, 0.002);
    metrics.request("v2", 200, 0.003);
    metrics.request("v2", 413, 0.003);
    expect([w.snapshot().requests, w.snapshot().errors]).toEqual([2, 1]);
  });
});
