import type { Logger } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { KubeClient } from "../kube/client.js";
import { KubeApiError } from "../kube/request.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { EventRecorder } from "./events.js";

const START = Date.parse("2026-01-01T00:00:00Z");

function setup(minIntervalMs = 60_000, maxEntries?: number) {
  let now = START;
  const client = {
    create: vi.fn(async (_r: unknown, obj: KubeObject) => obj),
    mergePatch: vi.fn(async () => ({})),
  };
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
  const recorder = new EventRecorder(client as unknown as KubeClient, "liftoff-operator", log, {
    now: () => new Date(now),
    minIntervalMs,
    ...(maxEntries ? { maxEntries } : {}),
  });
  return {
    client,
    recorder,
    warnings,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const mdep = (uid = "uid-1", name = "churn"): KubeObject => ({
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "ModelDeployment",
  metadata: { name, namespace: "ml", uid, resourceVersion: "7" },
});

describe("EventRecorder", () => {
  it("creates a core/v1 Event naming the object", async () => {
    const { client, recorder } = setup();
    await recorder.record(mdep(), "Warning", "CrashLoopBackOff", "pod p: exit 1");
    expect(client.create).toHaveBeenCalledTimes(1);
    const [resource, event] = client.create.mock.calls[0] ?? [];
    expect(resource).toBe(RESOURCES.Event);
    expect(event).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace: "ml" },
      involvedObject: {
        apiVersion: "liftoff.dev/v1alpha1",
        kind: "ModelDeployment",
        name: "churn",
        namespace: "ml",
        uid: "uid-1",
        resourceVersion: "7",
      },
      type: "Warning",
      reason: "CrashLoopBackOff",
      message: "pod p: exit 1",
      source: { component: "liftoff-operator" },
      reportingComponent: "liftoff-operator",
      firstTimestamp: "2026-01-01T00:00:00.000Z",
      lastTimestamp: "2026-01-01T00:00:00.000Z",
      count: 1,
    });
    expect(event?.metadata?.name).toMatch(/^churn\.[0-9a-f]{12}$/);
  });

  it("bumps the count of a repeated event at most once per interval", async () => {
    const { client, recorder, advance } = setup();
    const again = () => recorder.record(mdep(), "Warning", "CrashLoopBackOff", "same");
    await again();
    advance(10_000);
    await again();
    advance(10_000);
    await again();
    expect(client.create).toHaveBeenCalledTimes(1);
    expect(client.mergePatch).not.toHaveBeenCalled();
    advance(40_000); // 60 s after the create
    await again();
    expect(client.mergePatch).toHaveBeenCalledTimes(1);
    const name = client.create.mock.calls[0]?.[1].metadata?.name;
    expect(client.mergePatch).toHaveBeenLastCalledWith(RESOURCES.Event, "ml", name, {
      count: 4,
      lastTimestamp: "2026-01-01T00:01:00.000Z",
    });
    advance(59_999);
    await again();
    expect(client.mergePatch).toHaveBeenCalledTimes(1);
    advance(1);
    await again();
    expect(client.mergePatch).toHaveBeenCalledTimes(2);
    expect(client.mergePatch).toHaveBeenLastCalledWith(RESOURCES.Event, "ml", name, {
      count: 6,
      lastTimestamp: "2026-01-01T00:02:00.000Z",
    });
  });

  it("keeps events apart by object uid, type, reason and message", async () => {
    const { client, recorder } = setup();
    await recorder.record(mdep(), "Warning", "R", "m");
    await recorder.record(mdep("uid-2"), "Warning", "R", "m");
    await recorder.record(mdep(), "Normal", "R", "m");
    await recorder.record(mdep(), "Warning", "R2", "m");
    await recorder.record(mdep(), "Warning", "R", "m2");
    await recorder.record(mdep(), "Warning", "R", "m"); // the first again
    expect(client.create).toHaveBeenCalledTimes(5);
    const names = client.create.mock.calls.map((c) => c[1].metadata?.name);
    expect(new Set(names).size).toBe(5);
  });

  it("names the same event identically in another recorder (another replica, or after a restart)", async () => {
    const a = setup();
    const b = setup();
    await a.recorder.record(mdep(), "Normal", "Created", "Created Deployment churn-predictor");
    await b.recorder.record(mdep(), "Normal", "Created", "Created Deployment churn-predictor");
    expect(a.client.create.mock.calls[0]?.[1].metadata?.name).toBe(b.client.create.mock.calls[0]?.[1].metadata?.name);
  });

  it("records nothing for an object without namespace, name or uid", async () => {
    const { client, recorder } = setup();
    await recorder.record({ metadata: { name: "x", namespace: "ml" } }, "Normal", "R", "m");
    await recorder.record({ metadata: { name: "x", uid: "u" } }, "Normal", "R", "m");
    await recorder.record({}, "Normal", "R", "m");
    expect(client.create).not.toHaveBeenCalled();
  });

  it("truncates long messages to 1024 characters", async () => {
    const { client, recorder } = setup();
    await recorder.record(mdep(), "Warning", "R", "x".repeat(5000));
    expect(client.create.mock.calls[0]?.[1].message).toHaveLength(1024);
  });

  it("swallows a create conflict and counts on from there", async () => {
    const { client, recorder, advance } = setup();
    client.create.mockRejectedValueOnce(new KubeApiError(409, { reason: "AlreadyExists" }, "POST", "/x"));
    await expect(recorder.record(mdep(), "Warning", "R", "m")).resolves.toBeUndefined();
    advance(60_000);
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(client.mergePatch).toHaveBeenCalledTimes(1);
  });

  it("creates the event anew after its patch fails (the Event expired)", async () => {
    const { client, recorder, advance } = setup();
    await recorder.record(mdep(), "Warning", "R", "m");
    advance(60_000);
    client.mergePatch.mockRejectedValueOnce(new KubeApiError(404, { reason: "NotFound" }, "PATCH", "/x"));
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(client.create).toHaveBeenCalledTimes(1);
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(client.create).toHaveBeenCalledTimes(2);
    expect(client.create.mock.calls[1]?.[1]).toMatchObject({ count: 1, firstTimestamp: "2026-01-01T00:01:00.000Z" });
  });

  it("logs a refused create instead of swallowing it, and creates anew next time", async () => {
    const { client, recorder, warnings } = setup();
    client.create.mockRejectedValueOnce(new KubeApiError(403, { reason: "Forbidden" }, "POST", "/x"));
    await expect(recorder.record(mdep(), "Warning", "R", "m")).resolves.toBeUndefined();
    expect(warnings).toEqual(["could not record event"]);
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(client.create).toHaveBeenCalledTimes(2);
    expect(client.mergePatch).not.toHaveBeenCalled();
  });

  it("does not log an already-existing event", async () => {
    const { client, recorder, warnings } = setup();
    client.create.mockRejectedValueOnce(new KubeApiError(409, { reason: "AlreadyExists" }, "POST", "/x"));
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(warnings).toEqual([]);
  });

  it("logs a failed count update other than 404 and keeps the event", async () => {
    const { client, recorder, advance, warnings } = setup();
    await recorder.record(mdep(), "Warning", "R", "m");
    advance(60_000);
    client.mergePatch.mockRejectedValueOnce(new KubeApiError(500, { reason: "InternalError" }, "PATCH", "/x"));
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(warnings).toEqual(["could not update event"]);
    advance(60_000);
    await recorder.record(mdep(), "Warning", "R", "m");
    expect(client.create).toHaveBeenCalledTimes(1);
    expect(client.mergePatch).toHaveBeenCalledTimes(2);
  });

  it("remembers at most maxEntries events, forgetting the least recently recorded", async () => {
    const { client, recorder } = setup(60_000, 3);
    for (const uid of ["a", "b", "c"]) await recorder.record(mdep(uid), "Normal", "R", "m");
    await recorder.record(mdep("a"), "Normal", "R", "m"); // a is now the most recent
    await recorder.record(mdep("d"), "Normal", "R", "m"); // forgets b
    expect(recorder.size).toBe(3);
    expect(client.create).toHaveBeenCalledTimes(4);
    await recorder.record(mdep("a"), "Normal", "R", "m");
    await recorder.record(mdep("c"), "Normal", "R", "m");
    expect(client.create).toHaveBeenCalledTimes(4);
    await recorder.record(mdep("b"), "Normal", "R", "m"); // forgotten: created again
    expect(client.create).toHaveBeenCalledTimes(5);
    expect(recorder.size).toBe(3);
  });

  it("keeps 4096 events by default", async () => {
    const { recorder } = setup();
    for (let i = 0; i < 4100; i++) await recorder.record(mdep(`u${i}`), "Normal", "R", "m");
    expect(recorder.size).toBe(4096);
  });
});
