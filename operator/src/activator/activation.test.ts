import { describe, expect, it } from "vitest";
import { type ActivationApi, Activations } from "./activation.js";

class FakeApi implements ActivationApi {
  calls: string[] = [];
  replicaCount = 0;
  lastActive: string | undefined;
  failScale = false;
  async forceActivation(_ns: string, so: string, on: boolean) {
    this.calls.push(`mark ${so} ${on}`);
    return true;
  }
  async replicas() {
    return this.replicaCount;
  }
  async scaleTo(_ns: string, d: string, n: number) {
    if (this.failScale) throw new Error("forbidden");
    this.calls.push(`scale ${d} ${n}`);
  }
  async lastActiveTime() {
    return this.lastActive;
  }
  async notReadyCause() {
    return undefined;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("Activations", () => {
  it("marks the ScaledObject and scales a Deployment at 0 to 1; one activation for concurrent callers", async () => {
    const api = new FakeApi();
    const a = new Activations(api, { pollMs: 5 });
    const [r1, r2] = await Promise.all([a.ensure("ns", "m", "stable", 300), a.ensure("ns", "m", "stable", 300)]);
    expect([r1.started, r2.started]).toEqual([true, false]);
    expect(api.calls).toEqual(["mark m-predictor true", "scale m-predictor 1"]);
    expect(a.active("ns", "m", "stable")).toBe(true);
    await a.close();
  });

  it("leaves a Deployment that already has replicas at its count", async () => {
    const api = new FakeApi();
    api.replicaCount = 2;
    const a = new Activations(api, { pollMs: 5 });
    await a.ensure("ns", "m", "canary", 300);
    expect(api.calls).toEqual(["mark m-canary true"]);
    await a.close();
  });

  it("removes the mark once KEDA reports activity since the activation began", async () => {
    const api = new FakeApi();
    let now = Date.parse("2026-12-07T03:00:00.500Z");
    const a = new Activations(api, { pollMs: 5, now: () => now });
    await a.ensure("ns", "m", "stable", 300);
    // Activity before the start (second precision) does not count.
    api.lastActive = "2026-12-06T23:00:00Z";
    await new Promise((r) => setTimeout(r, 30));
    expect(api.calls).not.toContain("mark m-predictor false");
    api.lastActive = "2026-12-07T03:00:00Z";
    now += 1000;
    await until(() => api.calls.includes("mark m-predictor false"), "the mark removed");
    expect(a.active("ns", "m", "stable")).toBe(false);
  });

  it("keeps the mark until a pod is ready and KEDA has seen the deployment active since then", async () => {
    const api = new FakeApi();
    let now = Date.parse("2026-12-07T03:00:00.500Z");
    let ready = false;
    const a = new Activations(api, { pollMs: 5, now: () => now, ready: () => ready });
    await a.ensure("ns", "m", "stable", 300);
    // KEDA's first poll after the mark: active since the start, but no pod is ready yet.
    api.lastActive = "2026-12-07T03:00:01Z";
    now += 6000;
    await new Promise((r) => setTimeout(r, 30));
    expect(api.calls).not.toContain("mark m-predictor false");
    ready = true;
    await new Promise((r) => setTimeout(r, 30));
    // Ready at 03:00:06.5: lastActiveTime from before it does not count.
    expect(api.calls).not.toContain("mark m-predictor false");
    api.lastActive = "2026-12-07T03:00:07Z";
    await until(() => api.calls.includes("mark m-predictor false"), "the mark removed");
  });

  it("removes the mark after the bound when KEDA never reports activity", async () => {
    const api = new FakeApi();
    let now = 1_000_000;
    const a = new Activations(api, { pollMs: 5, now: () => now });
    await a.ensure("ns", "m", "stable", 60);
    await new Promise((r) => setTimeout(r, 30));
    expect(a.active("ns", "m", "stable")).toBe(true);
    now += 60_000;
    await until(() => !a.active("ns", "m", "stable"), "the activation to end");
    expect(api.calls.at(-1)).toBe("mark m-predictor false");
  });

  it("a refused scale fails the activation, removes the mark, and lets the next request try again", async () => {
    const api = new FakeApi();
    api.failScale = true;
    const a = new Activations(api, { pollMs: 5 });
    await expect(a.ensure("ns", "m", "stable", 300)).rejects.toThrow("forbidden");
    await until(() => api.calls.includes("mark m-predictor false"), "the mark removed");
    api.failScale = false;
    expect((await a.ensure("ns", "m", "stable", 300)).started).toBe(true);
    expect(api.calls.at(-1)).toBe("scale m-predictor 1");
    await a.close();
  });
});
