import { describe, expect, it } from "vitest";
import { ActivatorError } from "./errors.js";
import { activationTimeout, HoldQueue } from "./queue.js";

describe("HoldQueue", () => {
  it("holds up to the limit per deployment, then refuses with 503 and Retry-After 1", () => {
    const deltas: number[] = [];
    const q = new HoldQueue((d) => deltas.push(d));
    const r1 = q.hold("ns/a", 2);
    q.hold("ns/a", 2);
    q.hold("ns/b", 2);
    let err: unknown;
    try {
      q.hold("ns/a", 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ActivatorError);
    expect((err as ActivatorError).toJSON().code).toBe("LIFTOFF_ERR_ACTIVATION_QUEUE_FULL");
    expect([(err as ActivatorError).status, (err as ActivatorError).retryAfter]).toEqual([503, 1]);
    r1();
    r1(); // idempotent
    expect(q.count("ns/a")).toBe(1);
    expect(() => q.hold("ns/a", 2)).not.toThrow();
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe("activationTimeout", () => {
  it("names the pod's waiting reason when known", () => {
    const e = activationTimeout("ns/a", 60, { reason: "ImagePullBackOff", message: "no such image", pod: "a-1" });
    expect(e.status).toBe(503);
    expect(e.message).toBe(
      "ModelDeployment ns/a did not activate: no ready pod within 60s; pod a-1 is ImagePullBackOff: no such image",
    );
    expect(e.retryAfter).toBe(6);
  });

  it("says no ready pod within the bound otherwise", () => {
    expect(activationTimeout("ns/a", 5).message).toBe("ModelDeployment ns/a did not activate: no ready pod within 5s");
  });
});
