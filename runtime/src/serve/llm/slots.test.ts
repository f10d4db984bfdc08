import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import { Slots } from "./slots.js";

describe("Slots: admission of generation requests", () => {
  it("grants up to `parallel` at once, queues up to maxQueued, refuses one more with 503 and Retry-After", async () => {
    const slots = new Slots(2, 1, 3);
    const a = await slots.acquire();
    await slots.acquire();
    expect(slots.running).toBe(2);
    const waiting = slots.acquire();
    expect(slots.queued).toBe(1);
    const refused = await slots.acquire().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RuntimeError);
    expect((refused as RuntimeError).statusCode).toBe(503);
    expect((refused as RuntimeError).headers["retry-after"]).toBe("1");
    a();
    // The freed slot passes straight to the waiter: still two running, none queued.
    await waiting;
    expect([slots.running, slots.queued]).toEqual([2, 0]);
  });

  it("a release called twice frees one slot only", async () => {
    const slots = new Slots(1, 0, 1);
    const release = await slots.acquire();
    release();
    release();
    expect(slots.running).toBe(0);
    await slots.acquire();
    expect(slots.running).toBe(1);
    await expect(slots.acquire()).rejects.toBeInstanceOf(RuntimeError);
  });

  it("a waiter whose client goes away leaves the queue, and its place is not granted to it later", async () => {
    const slots = new Slots(1, 2, 3);
    const first = await slots.acquire();
    const gone = new AbortController();
    const left = slots.acquire(gone.signal);
    const stays = slots.acquire();
    expect(slots.queued).toBe(2);
    gone.abort(new Error("client went away"));
    await expect(left).rejects.toThrow("client went away");
    expect(slots.queued).toBe(1);
    first();
    await stays;
    expect([slots.running, slots.queued]).toEqual([1, 0]);
  });

  it("an already aborted request is refused before it takes anything", async () => {
    const slots = new Slots(1, 1, 2);
    const ac = new AbortController();
    ac.abort(new Error("gone"));
    await expect(slots.acquire(ac.signal)).rejects.toThrow("gone");
    expect([slots.running, slots.queued]).toEqual([0, 0]);
  });
});
