import client from "prom-client";
import { describe, expect, it } from "vitest";
import { HotHistogram } from "./hot-histogram.js";

describe("HotHistogram", () => {
  it("exposes exactly what prom-client's own Histogram does for the same observations", async () => {
    const values = [0, 0.0001, 0.0003, 0.002, 0.002, 0.7, 3, 99];
    const text = async (make: (r: client.Registry) => (labels: { model: string; code: string }, v: number) => void) => {
      const registry = new client.Registry();
      const observe = make(registry);
      values.forEach((v, i) => {
        observe({ model: "m", code: i % 3 === 0 ? "400" : "200" }, v);
      });
      return registry.metrics();
    };
    const config = (registry: client.Registry) => ({
      name: "h_seconds",
      help: "h.",
      labelNames: ["model", "code"] as const,
      buckets: [0.0001, 0.001, 0.01, 1, 5],
      registers: [registry],
    });
    const want = await text((r) => {
      const h = new client.Histogram(config(r));
      return (labels, v) => h.observe(labels, v);
    });
    const got = await text((r) => {
      const h = new HotHistogram(config(r));
      return (labels, v) => h.series(labels).observe(v);
    });
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_bucket{le="0.0001",model="m",code="200"} 1');
  });

  it("reset() zeroes every series", async () => {
    const registry = new client.Registry();
    const h = new HotHistogram({ name: "b", help: "b.", buckets: [1, 2], registers: [registry] });
    const s = h.series({});
    s.observe(1);
    s.observe(5);
    h.reset();
    expect(await registry.metrics()).toContain('b_bucket{le="+Inf"} 0');
  });
});
