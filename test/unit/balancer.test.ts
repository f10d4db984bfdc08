import type { V1EndpointSlice } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { endpointsOf, outcomeOf, RoundRobin } from "../support/balancer.js";

const slice = (service: string, endpoints: V1EndpointSlice["endpoints"], ports = [{ name: "http", port: 8080 }]) =>
  ({
    addressType: "IPv4",
    metadata: { labels: { "kubernetes.io/service-name": service } },
    ports,
    endpoints,
  }) as V1EndpointSlice;

describe("balancer: what kube-proxy routes to", () => {
  it("keeps ready, non-terminating endpoints of the one Service, with their pod and node", () => {
    const eps = endpointsOf(
      [
        slice("m", [
          {
            addresses: ["10.81.2.3"],
            conditions: { ready: true },
            targetRef: { kind: "Pod", name: "m-b" },
            nodeName: "cpu-node-1",
          },
          {
            addresses: ["10.81.1.2"],
            conditions: { ready: true },
            targetRef: { kind: "Pod", name: "m-a" },
            nodeName: "gpu-node-1",
          },
          { addresses: ["10.81.1.9"], conditions: { ready: false } },
          { addresses: ["10.81.1.7"], conditions: { ready: true, terminating: true } },
          { addresses: ["10.81.0.1"] },
        ]),
        slice("other", [{ addresses: ["10.81.1.5"], conditions: { ready: true } }]),
      ],
      "m",
      "http",
    );
    expect(eps).toEqual([
      { key: "10.81.0.1:8080", ip: "10.81.0.1", port: 8080 },
      { key: "10.81.1.2:8080", ip: "10.81.1.2", port: 8080, pod: "m-a", node: "gpu-node-1" },
      { key: "10.81.2.3:8080", ip: "10.81.2.3", port: 8080, pod: "m-b", node: "cpu-node-1" },
    ]);
  });

  it("picks the named port, and one entry per address when slices overlap", () => {
    const ports = [
      { name: "grpc", port: 9000 },
      { name: "http", port: 8080 },
    ];
    const e = [{ addresses: ["10.81.1.2"], conditions: { ready: true } }];
    expect(endpointsOf([slice("m", e, ports), slice("m", e, ports)], "m", "http").map((x) => x.key)).toEqual([
      "10.81.1.2:8080",
    ]);
    expect(endpointsOf([slice("m", e, ports)], "m").map((x) => x.key)).toEqual(["10.81.1.2:9000"]);
    expect(endpointsOf([slice("m", e, ports)], "m", "metrics")).toEqual([]);
  });

  it("round-robins, and carries the turn over a change of the list", () => {
    const rr = new RoundRobin<string>();
    expect(rr.next()).toBeUndefined();
    rr.set(["a", "b"]);
    expect([rr.next(), rr.next()]).toEqual(["a", "b"]);
    rr.set(["a", "b", "c"]);
    expect([rr.next(), rr.next(), rr.next()]).toEqual(["c", "a", "b"]);
    rr.set(["c"]);
    expect([rr.next(), rr.next()]).toEqual(["c", "c"]);
  });

  it("outcomeOf: 200 is ok; else the status or the error names the failure", () => {
    const endpoint = { key: "k", ip: "i", port: 1, pod: "p", node: "n" };
    expect(outcomeOf({ status: 200, body: "", headers: {}, endpoint, latencyMs: 1 })).toEqual({
      ok: true,
      pod: "p",
      node: "n",
    });
    expect(outcomeOf({ status: 503, body: "", headers: {}, endpoint, latencyMs: 1 })).toMatchObject({
      ok: false,
      reason: "503",
    });
    const overloaded = JSON.stringify({ error: "the server is overloaded", code: "LIFTOFF_ERR_OVERLOADED" });
    expect(outcomeOf({ status: 503, body: overloaded, headers: {}, endpoint, latencyMs: 1 })).toEqual({
      ok: false,
      reason: "503 LIFTOFF_ERR_OVERLOADED",
      pod: "p",
      node: "n",
    });
    expect(outcomeOf({ status: 0, body: "", headers: {}, error: "ECONNRESET", latencyMs: 1 })).toEqual({
      ok: false,
      reason: "ECONNRESET",
    });
  });
});
