import pino from "pino";
import { describe, expect, it } from "vitest";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Controller, type ReconcileContext, type ReconcileResult, type Reconciler } from "./controller.js";
import { FakeCache } from "./fake-cache.js";

const log = pino({ level: "silent" });
const obj = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, namespace: "ml", resourceVersion: "1" },
  ...extra,
});

/** A reconciler that answers from a script per key and reports each call; `settled` resolves after n calls. */
function scripted(kind: string, answer: (key: string, n: number) => ReconcileResult | undefined | Error) {
  const calls: string[] = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  const reconciler: Reconciler = {
    kind,
    async reconcile(key) {
      calls.push(key);
      const out = answer(key, calls.filter((k) => k === key).length);
      for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
      waiters = waiters.filter((x) => calls.length < x.n);
      if (out instanceof Error) throw out;
      return out;
    },
  };
  const settled = (n: number) =>
    calls.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { reconciler, calls, settled };
}

describe("Controller", () => {
  it("reconciles each changed primary object by key, once per change", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const r = scripted("ModelDeployment", () => undefined);
    const c = new Controller(r.reconciler, primary, { concurrency: 2, log });
    primary.set(obj("a"));
    primary.set(obj("b"));
    c.start();
    await r.settled(2);
    expect([...r.calls].sort()).toEqual(["ml/a", "ml/b"]);
    await c.stop();
  });

  it("retries a failed key with back-off, then forgets its failures after a success", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const r = scripted("ModelDeployment", (_k, n) => (n < 3 ? new Error("boom") : undefined));
    const c = new Controller(r.reconciler, primary, {
      concurrency: 1,
      log,
      rateLimit: { baseDelayMs: 1, maxDelayMs: 4, qps: 1000, burst: 1000 },
    });
    c.start();
    primary.set(obj("a"));
    await r.settled(3);
    await c.stop();
    expect(r.calls).toEqual(["ml/a", "ml/a", "ml/a"]);
    expect(c.queue.failureCount("ml/a")).toBe(0);
  });

  it("requeues a key after the delay its reconcile asks for", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const r = scripted("ModelDeployment", (_k, n) => (n === 1 ? { requeueAfterMs: 5 } : undefined));
    const c = new Controller(r.reconciler, primary, { concurrency: 1, log });
    c.start();
    primary.set(obj("a"));
    await r.settled(2);
    await c.stop();
    expect(r.calls).toEqual(["ml/a", "ml/a"]);
  });

  it("maps owned children to their controller owner, and other kinds through a mapper and predicate", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const children = new FakeCache<KubeObject>(RESOURCES.Deployment);
    const others = new FakeCache<KubeObject>(RESOURCES.Pod);
    const r = scripted("ModelDeployment", () => undefined);
    const c = new Controller(r.reconciler, primary, { concurrency: 1, log }).owns([children]).watches(
      others,
      (p) => [`ml/${p.metadata?.labels?.owner}`],
      (p, event) => event !== "updated" || p.metadata?.labels?.relevant === "yes",
    );
    const ref = { apiVersion: "liftoff.dev/v1alpha1", kind: "ModelDeployment", name: "a", uid: "u", controller: true };
    children.set(obj("a-predictor", { metadata: { name: "a-predictor", namespace: "ml", ownerReferences: [ref] } }));
    children.set(
      obj("foreign", {
        metadata: { name: "foreign", namespace: "ml", ownerReferences: [{ ...ref, kind: "ReplicaSet", name: "x" }] },
      }),
    );
    others.set(obj("p", { metadata: { name: "p", namespace: "ml", labels: { owner: "b" } } }));
    expect(c.queue.length).toBe(2); // ml/a and ml/b; the foreign child maps to nothing
    others.set(obj("p", { metadata: { name: "p", namespace: "ml", labels: { owner: "c" } } })); // filtered out
    expect(c.queue.length).toBe(2);
    others.set(obj("p", { metadata: { name: "p", namespace: "ml", labels: { owner: "d", relevant: "yes" } } }));
    // An update maps both the new and the old version: d, and c (the previous owner label).
    expect(c.queue.length).toBe(4);
    c.start();
    await r.settled(4);
    await c.stop();
    expect([...r.calls].sort()).toEqual(["ml/a", "ml/b", "ml/c", "ml/d"]);
  });

  it("bounds each reconcile by its deadline: the signal aborts, the key fails and is retried", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const seen: ReconcileContext[] = [];
    const reconciler: Reconciler = {
      kind: "ModelDeployment",
      async reconcile(_key, ctx) {
        seen.push(ctx);
        if (seen.length === 1) await aborted(ctx.signal); // a request that never answers
        return undefined;
      },
    };
    const c = new Controller(reconciler, primary, {
      concurrency: 1,
      log,
      reconcileTimeoutMs: 20,
      rateLimit: { baseDelayMs: 1, maxDelayMs: 4, qps: 1000, burst: 1000 },
    });
    c.start();
    primary.set(obj("a"));
    await until(() => seen.length === 2);
    expect(seen[1]?.signal.aborted).toBe(false);
    await c.stop();
    expect(seen[0]?.signal.reason).toMatchObject({ name: "TimeoutError" });
    expect(c.queue.failureCount("ml/a")).toBe(0);
  });

  it("aborts in-flight reconciles on stop, so stopping does not wait on a hung request", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    let started = false;
    const reconciler: Reconciler = {
      kind: "ModelDeployment",
      async reconcile(_key, { signal }) {
        started = true;
        await aborted(signal);
        return undefined;
      },
    };
    const c = new Controller(reconciler, primary, { concurrency: 1, log, reconcileTimeoutMs: 60_000 });
    c.start();
    primary.set(obj("a"));
    await until(() => started);
    await c.stop(); // resolves only because the reconcile's signal was aborted
    expect(started).toBe(true);
  });

  it("logs a failed reconcile's error object, so its type and stack survive", async () => {
    const primary = new FakeCache<KubeObject>(RESOURCES.ModelDeployment);
    const lines: Array<Record<string, unknown>> = [];
    const sink = pino({ level: "error" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    class Refused extends Error {
      override name = "Refused";
    }
    const r = scripted("ModelDeployment", (_k, n) => (n === 1 ? new Refused("no") : undefined));
    const c = new Controller(r.reconciler, primary, {
      concurrency: 1,
      log: sink,
      rateLimit: { baseDelayMs: 1, maxDelayMs: 4, qps: 1000, burst: 1000 },
    });
    c.start();
    primary.set(obj("a"));
    await r.settled(2);
    await c.stop();
    const err = lines.find((l) => l.msg === "reconcile failed")?.err as {
      type: string;
      message: string;
      stack: string;
    };
    expect(err.type).toBe("Refused");
    expect(err.message).toBe("no");
    expect(err.stack).toContain("controller.test.ts");
  });
});

/** Rejects with the signal's reason once `signal` aborts (how a cancelled request ends). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 1));
}
