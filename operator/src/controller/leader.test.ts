import { type AddressInfo, createServer, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KubeClient } from "../kube/client.js";
import { KubeApiError } from "../kube/request.js";
import type { KubeObject } from "../kube/types.js";
import { type LeaderElectionOptions, LeaderElector } from "./leader.js";

const log = pino({ level: "silent" });

/** An in-memory Lease store with the API server's optimistic concurrency on resourceVersion. */
class FakeLeases {
  lease: KubeObject | undefined;
  private version = 0;

  async getOptional(): Promise<KubeObject | undefined> {
    return this.lease ? structuredClone(this.lease) : undefined;
  }

  async create(_r: unknown, obj: KubeObject): Promise<KubeObject> {
    if (this.lease) throw new KubeApiError(409, { reason: "AlreadyExists" }, "POST", "/leases");
    this.version += 1;
    this.lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(this.version) } };
    return structuredClone(this.lease);
  }

  async update(_r: unknown, obj: KubeObject): Promise<KubeObject> {
    if (!this.lease || obj.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      throw new KubeApiError(409, { reason: "Conflict" }, "PUT", "/leases/x");
    }
    this.version += 1;
    this.lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(this.version) } };
    return structuredClone(this.lease);
  }

  get spec() {
    return this.lease?.spec;
  }
}

const OPTS = {
  namespace: "liftoff-system",
  name: "liftoff-operator",
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

function candidate(store: FakeLeases, identity: string, over: Partial<LeaderElectionOptions> = {}): LeaderElector {
  return new LeaderElector(store as unknown as KubeClient, { ...OPTS, identity, ...over }, log);
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "Date", "performance"],
    now: Date.parse("2026-01-01T00:00:00Z"),
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("LeaderElector.tryAcquireOrRenew", () => {
  it("lets the first candidate create the Lease and hold it", async () => {
    const store = new FakeLeases();
    expect(await candidate(store, "a").tryAcquireOrRenew()).toBe(true);
    expect(store.spec).toEqual({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      renewTime: "2026-01-01T00:00:00.000000Z",
      acquireTime: "2026-01-01T00:00:00.000000Z",
      leaseTransitions: 0,
    });
  });

  it("keeps a second candidate out while the holder renews, then lets it take over after leaseDuration", async () => {
    const store = new FakeLeases();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(10_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false); // 50 s in all, but renewed every 10 s
    }
    expect(store.spec?.holderIdentity).toBe("a");
    expect(store.spec?.acquireTime).toBe("2026-01-01T00:00:00.000000Z");
    expect(store.spec?.renewTime).toBe("2026-01-01T00:00:50.000000Z");

    // a stops renewing: b waits a full leaseDuration from when it last saw the record change.
    vi.advanceTimersByTime(15_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.spec).toMatchObject({
      holderIdentity: "b",
      acquireTime: "2026-01-01T00:01:05.001000Z",
      renewTime: "2026-01-01T00:01:05.001000Z",
      leaseTransitions: 1,
    });
    // The old holder now sees b's fresh record and stays out.
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it("counts every change of holder in leaseTransitions, and none for renewals", async () => {
    const store = new FakeLeases();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    vi.advanceTimersByTime(16_000);
    await b.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    expect(store.spec?.leaseTransitions).toBe(1);
    await a.tryAcquireOrRenew();
    vi.advanceTimersByTime(16_000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.spec?.leaseTransitions).toBe(2);
  });

  it("judges expiry by the Lease's own leaseDurationSeconds", async () => {
    const store = new FakeLeases();
    await candidate(store, "a", { leaseDurationSeconds: 60 }).tryAcquireOrRenew();
    const b = candidate(store, "b");
    await b.tryAcquireOrRenew();
    vi.advanceTimersByTime(30_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    vi.advanceTimersByTime(30_001);
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it("lets only one of two candidates win an expired Lease (optimistic concurrency)", async () => {
    const store = new FakeLeases();
    await candidate(store, "old").tryAcquireOrRenew();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    vi.advanceTimersByTime(16_000);
    const results = await Promise.allSettled([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(KubeApiError);
    expect((rejected.reason as KubeApiError).code).toBe(409);
    expect(["a", "b"]).toContain(store.spec?.holderIdentity);
    expect(store.spec?.leaseTransitions).toBe(1);
  });
});

describe("LeaderElector.run and release", () => {
  it("starts leading, renews every retryPeriod, and on release lets a standby take over at once", async () => {
    const store = new FakeLeases();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    const started = vi.fn();
    const stopped = vi.fn();
    void a.run(started, stopped);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveBeenCalledTimes(1);
    expect(a.isLeader).toBe(true);

    expect(await b.tryAcquireOrRenew()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(store.spec?.renewTime).toBe("2026-01-01T00:00:02.000000Z");

    await a.release();
    expect(a.isLeader).toBe(false);
    expect(store.spec?.holderIdentity).toBe("");
    expect(await b.tryAcquireOrRenew()).toBe(true); // no leaseDuration wait
    expect(store.spec).toMatchObject({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 1 });
    // The released candidate's loop ends and never calls the stop callback.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.spec?.holderIdentity).toBe("b");
    expect(stopped).not.toHaveBeenCalled();
    expect(started).toHaveBeenCalledTimes(1);
  });

  it("does not touch the Lease on release when it does not lead", async () => {
    const store = new FakeLeases();
    await candidate(store, "a").tryAcquireOrRenew();
    const before = structuredClone(store.lease);
    await candidate(store, "b").release();
    expect(store.lease).toEqual(before);
  });

  it("waits as a standby and starts leading once the holder's lease expires", async () => {
    const store = new FakeLeases();
    await candidate(store, "a").tryAcquireOrRenew();
    const b = candidate(store, "b");
    const started = vi.fn();
    void b.run(started, vi.fn());
    await vi.advanceTimersByTimeAsync(14_000);
    expect(started).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(started).toHaveBeenCalledTimes(1);
    expect(store.spec?.holderIdentity).toBe("b");
    await b.release();
  });

  it("stops leading when renewals fail for longer than renewDeadline", async () => {
    const store = new FakeLeases();
    const a = candidate(store, "a");
    const started = vi.fn();
    const stopped = vi.fn();
    const loop = a.run(started, stopped);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveBeenCalledTimes(1);
    // Someone else grabs the Lease (e.g. after a long pause): a's renewals now lose.
    store.lease = {
      ...store.lease,
      spec: { ...store.lease?.spec, holderIdentity: "intruder", renewTime: "2026-01-01T00:00:01.000000Z" },
    };
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stopped).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stopped).toHaveBeenCalledTimes(1);
    expect(a.isLeader).toBe(false);
    await loop;
  });
});

describe("LeaderElector against a stalled API server (issue #24)", () => {
  it("finding: two leaders — a leader whose API connection stalls stops leading within renewDeadline", async () => {
    vi.useRealTimers();
    // An "API server" that accepts connections and never answers (not even the TLS handshake).
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const stalled = new KubeClient(kc, { fieldManager: "test" });
    const store = new FakeLeases();
    let useStalled = false;
    // The first term is won against a healthy store; then every request goes to the stalled server.
    const client = {
      getOptional: (...a: Parameters<KubeClient["getOptional"]>) =>
        useStalled ? stalled.getOptional(...a) : store.getOptional(),
      create: (...a: Parameters<KubeClient["create"]>) =>
        useStalled ? stalled.create(...a) : store.create(a[0], a[1]),
      update: (...a: Parameters<KubeClient["update"]>) =>
        useStalled ? stalled.update(...a) : store.update(a[0], a[1]),
    } as unknown as KubeClient;
    const a = new LeaderElector(
      client,
      { ...OPTS, identity: "a", leaseDurationSeconds: 3, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.2 },
      log,
    );
    let stoppedAt = 0;
    const stopped = new Promise<void>((r) => {
      void a.run(
        () => {
          useStalled = true;
        },
        () => {
          stoppedAt = performance.now();
          r();
        },
      );
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(a.isLeader).toBe(true);
      const since = performance.now();
      // client-go bounds each renewal by renewDeadline: the leader gives up after ~1 s, before another replica
      // could take the Lease (leaseDuration 3 s) — not after the request's own 30 s timeout.
      await Promise.race([
        stopped,
        new Promise((_, reject) => setTimeout(() => reject(new Error("still leading after 2.9 s")), 2_900)),
      ]);
      expect(a.isLeader).toBe(false);
      expect(stoppedAt - since).toBeGreaterThan(800);
      expect(stoppedAt - since).toBeLessThan(2_500);
    } finally {
      a.abandon();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it("finding: two leaders — lease expiry is measured on a monotonic clock, not the wall clock", async () => {
    const store = new FakeLeases();
    const a = candidate(store, "a");
    const b = candidate(store, "b");
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    // The wall clock jumps an hour ahead (NTP step, VM resume): no time has passed for the lease.
    vi.setSystemTime(Date.now() + 3_600_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(store.spec?.holderIdentity).toBe("a");
  });
});
