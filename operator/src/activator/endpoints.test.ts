import { describe, expect, it } from "vitest";
import { FakeCache } from "../controller/fake-cache.js";
import type { EndpointSlice } from "../kube/models.js";
import { RESOURCES } from "../kube/resources.js";
import { EndpointsUnavailable, EndpointTracker, sliceEndpoints } from "./endpoints.js";

const slice = (
  name: string,
  service: string,
  endpoints: NonNullable<EndpointSlice["endpoints"]>,
  ns = "team",
): EndpointSlice => ({
  metadata: { name, namespace: ns, labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints,
  ports: [
    { name: "grpc", port: 8081 },
    { name: "http", port: 8080 },
  ],
});

describe("sliceEndpoints", () => {
  it("keeps ready, non-terminating endpoints on the http port (unset ready counts as ready)", () => {
    const s = slice("a", "m-predictor", [
      { addresses: ["10.0.0.1"], conditions: { ready: true }, targetRef: { name: "p1" } },
      { addresses: ["10.0.0.2"], conditions: {} },
      { addresses: ["10.0.0.3"], conditions: { ready: false } },
      { addresses: ["10.0.0.4"], conditions: { ready: false, serving: true, terminating: true } },
    ]);
    expect(sliceEndpoints(s)).toEqual([
      { ip: "10.0.0.1", port: 8080, pod: "p1" },
      { ip: "10.0.0.2", port: 8080 },
    ]);
  });
});

describe("EndpointTracker", () => {
  it("joins a Service's slices, and only that Service's in that namespace", () => {
    const cache = new FakeCache(RESOURCES.EndpointSlice, [
      slice("a", "m-predictor", [{ addresses: ["10.0.0.1"] }]),
      slice("b", "m-predictor", [{ addresses: ["10.0.0.2"] }, { addresses: ["10.0.0.1"] }]),
      slice("c", "m-canary", [{ addresses: ["10.0.0.9"] }]),
      slice("d", "m-predictor", [{ addresses: ["10.0.0.8"] }], "other"),
    ]);
    const t = new EndpointTracker(cache);
    expect(t.ready("team", "m-predictor").map((e) => e.ip)).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("wakes a waiter when a ready endpoint appears, and rejects at the deadline otherwise", async () => {
    const cache = new FakeCache(RESOURCES.EndpointSlice);
    const t = new EndpointTracker(cache);
    const ac = new AbortController();
    const waiting = t.waitReady("team", "m-predictor", ac.signal);
    cache.set(slice("a", "m-predictor", [{ addresses: ["10.0.0.1"], conditions: { ready: false } }]));
    expect(t.waiting("team", "m-predictor")).toBe(1);
    cache.set(slice("a", "m-predictor", [{ addresses: ["10.0.0.1"], conditions: { ready: true } }]));
    expect((await waiting).map((e) => e.ip)).toEqual(["10.0.0.1"]);
    expect(t.waiting("team", "m-predictor")).toBe(0);

    const late = new AbortController();
    const never = t.waitReady("team", "m-canary", late.signal);
    late.abort();
    await expect(never).rejects.toBeInstanceOf(EndpointsUnavailable);
    expect(t.waiting("team", "m-canary")).toBe(0);
  });
});
