import { describe, expect, it } from "vitest";
import { isSubset } from "./semantic.js";

describe("isSubset", () => {
  it("accepts extra fields on the live object", () => {
    const desired = { spec: { replicas: 2, template: { metadata: { labels: { a: "1" } } } } };
    const live = {
      metadata: { resourceVersion: "9", managedFields: [] },
      spec: { replicas: 2, paused: false, template: { metadata: { labels: { a: "1", b: "2" } } } },
      status: { readyReplicas: 2 },
    };
    expect(isSubset(desired, live)).toBe(true);
  });

  it("rejects a missing or different field", () => {
    expect(isSubset({ spec: { replicas: 2 } }, { spec: {} })).toBe(false);
    expect(isSubset({ spec: { replicas: 2 } }, { spec: { replicas: 3 } })).toBe(false);
    expect(isSubset({ spec: { selector: { a: "1" } } }, { spec: { selector: "a=1" } })).toBe(false);
    expect(isSubset({ spec: { x: { y: "z" } } }, {})).toBe(false);
  });

  it("requires a selector's label map to match exactly: a dropped key must go (a canary joining the Service)", () => {
    const live = { spec: { selector: { "liftoff.dev/modeldeployment": "p", "liftoff.dev/track": "stable" } } };
    expect(isSubset({ spec: { selector: { "liftoff.dev/modeldeployment": "p" } } }, live)).toBe(false);
    expect(isSubset({ spec: { selector: { ...live.spec.selector } } }, live)).toBe(true);
    // A Deployment's selector ({matchLabels}) is not a label map: compared as any object.
    expect(
      isSubset(
        { spec: { selector: { matchLabels: { a: "1" } } } },
        { spec: { selector: { matchLabels: { a: "1" } } } },
      ),
    ).toBe(true);
  });

  it("ignores desired fields that are undefined", () => {
    expect(isSubset({ spec: { replicas: undefined, x: 1 } }, { spec: { x: 1 } })).toBe(true);
  });

  it("requires lists to have the same length, element by element", () => {
    const desired = { ports: [{ port: 80 }] };
    expect(isSubset(desired, { ports: [{ port: 80, protocol: "TCP" }] })).toBe(true);
    expect(isSubset(desired, { ports: [{ port: 80 }, { port: 81 }] })).toBe(false);
    expect(isSubset(desired, { ports: [] })).toBe(false);
    expect(isSubset({ args: ["a", "b"] }, { args: ["b", "a"] })).toBe(false);
    expect(isSubset({ args: ["a"] }, { args: "a" })).toBe(false);
  });

  it("compares quantities under requests and limits by value", () => {
    const desired = {
      resources: { requests: { cpu: "0.5", memory: "1Gi" }, limits: { cpu: 1, "nvidia.com/gpu": "1" } },
    };
    const live = {
      resources: { requests: { cpu: "500m", memory: "1073741824" }, limits: { cpu: "1", "nvidia.com/gpu": 1 } },
    };
    expect(isSubset(desired, live)).toBe(true);
    expect(isSubset({ resources: { requests: { cpu: "0.5" } } }, { resources: { requests: { cpu: "501m" } } })).toBe(
      false,
    );
    expect(
      isSubset({ resources: { requests: { memory: "1Gi" } } }, { resources: { requests: { memory: "1G" } } }),
    ).toBe(false);
  });

  it("compares PVC capacity as quantities too", () => {
    expect(
      isSubset({ status: { capacity: { storage: "1Gi" } } }, { status: { capacity: { storage: "1024Mi" } } }),
    ).toBe(true);
  });

  it("does not treat other fields as quantities", () => {
    expect(isSubset({ spec: { replicas: 1 } }, { spec: { replicas: "1" } })).toBe(false);
    expect(isSubset({ metadata: { labels: { size: "0.5" } } }, { metadata: { labels: { size: "500m" } } })).toBe(false);
  });

  it("compares scalars strictly", () => {
    expect(isSubset("a", "a")).toBe(true);
    expect(isSubset(true, "true")).toBe(false);
    expect(isSubset(null, undefined)).toBe(false);
    expect(isSubset({}, null)).toBe(false);
    expect(isSubset({}, { anything: 1 })).toBe(true);
  });
});
