import { describe, expect, it } from "vitest";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import type { WatchEvent, WatchHandle } from "../kube/watch.js";
import { Informer } from "./informer.js";

const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: "ns", resourceVersion: rv } });

/** A fake API: each list() returns the next snapshot; each watch() plays the next script of events, then ends. */
function fakeClient(lists: KubeObject[][], watches: WatchEvent[][]) {
  const calls = { list: 0, watch: 0, watchParams: [] as Record<string, string>[] };
  const client = {
    list: async () => {
      const items = lists[Math.min(calls.list, lists.length - 1)] ?? [];
      calls.list++;
      return { items, resourceVersion: `list-${calls.list}` };
    },
    watch: async (_r: unknown, _ns: unknown, params: Record<string, string>, onEvent: (e: WatchEvent) => void) => {
      const script = watches[calls.watch];
      calls.watch++;
      calls.watchParams.push(params);
      let abort!: () => void;
      const done = new Promise<void>((resolve) => {
        abort = resolve;
        if (!script) return; // no more scripts: stay open until aborted
        queueMicrotask(() => {
          for (const ev of script) onEvent(ev);
          resolve();
        });
      });
      return { done, abort: () => abort() } satisfies WatchHandle;
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe("Informer", () => {
  it("lists, then applies watch events to its cache and tells its handlers", async () => {
    const { client } = fakeClient(
      [[obj("a", "1")]],
      [
        [
          { type: "ADDED", object: obj("b", "2") },
          { type: "DELETED", object: obj("a", "3") },
        ],
      ],
    );
    const inf = new Informer(client, RESOURCES.Pod, { maxBackoffMs: 1 });
    const seen: string[] = [];
    inf.onEvent((o, e) => seen.push(`${e} ${o.metadata?.name}`));
    void inf.run();
    await inf.synced;
    await until(() => seen.length === 3);
    inf.stop();
    expect(seen).toEqual(["added a", "added b", "deleted a"]);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(["b"]);
  });

  it("indexes children by their controller owner's uid through adds, re-owning updates, deletes and relists", async () => {
    const owned = (name: string, rv: string, uid?: string, controller = true): KubeObject => ({
      metadata: {
        name,
        namespace: "ns",
        resourceVersion: rv,
        ...(uid ? { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "o", uid, controller }] } : {}),
      },
    });
    const { client } = fakeClient(
      [[owned("a", "1", "u1"), owned("b", "1", "u1"), owned("c", "1", "u2", false)]],
      [
        [
          { type: "ADDED", object: owned("d", "2", "u2") },
          { type: "MODIFIED", object: owned("a", "3", "u2") },
          { type: "DELETED", object: owned("b", "4", "u1") },
        ],
      ],
    );
    const inf = new Informer(client, RESOURCES.Pod, { maxBackoffMs: 1 });
    const names = (i: Informer, uid: string) =>
      i
        .ownedBy(uid)
        .map((o) => o.metadata?.name)
        .sort();
    const seen: string[] = [];
    inf.onEvent((o, e) => seen.push(`${e} ${o.metadata?.name}`));
    void inf.run();
    await until(() => seen.length === 6);
    inf.stop();
    // c's owner reference is not a controller's: not indexed. a moved from u1 to u2; b was deleted.
    expect(names(inf, "u1")).toEqual([]);
    expect(names(inf, "u2")).toEqual(["a", "d"]);

    // A relist (after 410 Gone) that no longer has a: it leaves the index too.
    const relisted = fakeClient(
      [[owned("a", "1", "u1"), owned("b", "1", "u1")], [owned("b", "9", "u1")]],
      [[{ type: "ERROR", object: { code: 410, message: "too old" } }]],
    );
    const again = new Informer(relisted.client, RESOURCES.Pod, { maxBackoffMs: 1 });
    const events: string[] = [];
    again.onEvent((o, e) => events.push(`${e} ${o.metadata?.name}`));
    void again.run();
    await until(() => events.includes("deleted a"));
    again.stop();
    expect(names(again, "u1")).toEqual(["b"]);
  });

  it("relists after 410 Gone and resumes watching from the new list's resourceVersion", async () => {
    const { client, calls } = fakeClient(
      [[obj("a", "1")], [obj("a", "1"), obj("c", "9")]],
      [[{ type: "ERROR", object: { code: 410, message: "too old resource version" } }]],
    );
    const restarts: string[] = [];
    const inf = new Informer(client, RESOURCES.Pod, { maxBackoffMs: 1, onRestart: (r) => restarts.push(r) });
    void inf.run();
    await until(() => calls.list === 2 && calls.watch === 2);
    inf.stop();
    expect(restarts[0]).toBe("expired");
    expect(calls.watchParams[1]?.resourceVersion).toBe("list-2");
    expect(inf.get("ns/c")).toBeDefined();
  });

  it("survives an error event or a handler that throws, and retries with a relist", async () => {
    const { client, calls } = fakeClient(
      [[], [obj("a", "5")]],
      [[{ type: "ERROR", object: { code: 500, message: "etcd leader changed" } }]],
    );
    const restarts: string[] = [];
    const inf = new Informer(client, RESOURCES.Pod, { maxBackoffMs: 1, onRestart: (r) => restarts.push(r) });
    inf.onEvent(() => {
      throw new Error("handler bug");
    });
    void inf.run();
    await until(() => calls.list === 2);
    inf.stop();
    expect(restarts).toContain("error");
    expect(inf.get("ns/a")?.metadata?.resourceVersion).toBe("5");
  });
});
