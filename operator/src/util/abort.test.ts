import { describe, expect, it } from "vitest";
import { boundSignal } from "./abort.js";

describe("boundSignal", () => {
  it("aborts with a parent's reason when that parent aborts", () => {
    const parent = new AbortController();
    const b = boundSignal([undefined, parent.signal], 60_000);
    const reason = new Error("controller stopping");
    parent.abort(reason);
    expect(b.signal.aborted).toBe(true);
    expect(b.signal.reason).toBe(reason);
    b.dispose();
  });

  it("starts aborted when a parent already is", () => {
    const b = boundSignal([AbortSignal.abort(new Error("too late"))], 60_000);
    expect(b.signal.reason).toMatchObject({ message: "too late" });
    b.dispose();
  });

  it("aborts with a TimeoutError when its time is up", async () => {
    const b = boundSignal([], 5);
    await new Promise((resolve) => b.signal.addEventListener("abort", resolve, { once: true }));
    expect(b.signal.reason).toMatchObject({ name: "TimeoutError" });
  });

  it("once disposed, neither a parent nor the timer reaches it", async () => {
    const parent = new AbortController();
    const b = boundSignal([parent.signal], 5);
    b.dispose();
    parent.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.signal.aborted).toBe(false);
  });
});
