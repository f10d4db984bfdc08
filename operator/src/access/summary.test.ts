import { describe, expect, it } from "vitest";
import type { DataKeyAccess } from "./audit-line.js";
import { PendingAccess } from "./pending.js";
import { MAX_READERS, MAX_VERSIONS, mergeAccess, timeKey } from "./summary.js";

let n = 0;
const ev = (time: string, over: Partial<DataKeyAccess> = {}): DataKeyAccess => ({
  namespace: "team-a",
  dataset: "penguins",
  keyId: "k1",
  op: "read",
  time,
  requestId: `r${++n}`,
  serviceAccount: "penguins-train",
  serviceAccountNamespace: "team-a",
  pod: "penguins-train-a",
  ...over,
});

/** The event as a root token's read logs it: no service account, no pod. */
function rootToken(e: DataKeyAccess): DataKeyAccess {
  const { serviceAccount: _s, serviceAccountNamespace: _n, pod: _p, ...rest } = e;
  return rest;
}

describe("timeKey", () => {
  it("orders Vault's times though Go drops the fraction's trailing zeros", () => {
    const a = "2026-12-07T09:03:42.61785637Z"; // 8 digits: …370 ns
    const b = "2026-12-07T09:03:42.617856371Z";
    expect(a < b).toBe(false); // as plain strings, wrongly
    expect(timeKey(a) < timeKey(b)).toBe(true);
    expect(timeKey("2026-12-07T09:03:42Z")).toBe("2026-12-07T09:03:42.000000000Z");
    expect(timeKey("2026-12-07T10:03:42+01:00")).toBe("2026-12-07T09:03:42.000000000Z");
    expect(timeKey("yesterday")).toBe("");
  });
});

describe("mergeAccess", () => {
  it("counts reads and refusals per version and reader, newest first", () => {
    const out = mergeAccess(undefined, [
      ev("2026-12-07T09:00:01.5Z"),
      ev("2026-12-07T09:00:02Z", { pod: "penguins-train-b" }),
      ev("2026-12-07T09:00:03Z"),
      ev("2026-12-07T09:00:04Z", { op: "refused", serviceAccount: "intruder" }),
      rootToken(ev("2026-12-07T09:00:00Z", { keyId: "k0", identity: "token" })),
      ev("2026-12-07T09:00:05Z", { op: "write" }),
    ]);
    expect(out).toEqual([
      {
        keyId: "k1",
        reads: 3,
        refused: 1,
        firstRead: "2026-12-07T09:00:01Z",
        lastRead: "2026-12-07T09:00:03Z",
        through: "2026-12-07T09:00:04.000000000Z",
        readers: [
          {
            serviceAccount: "penguins-train",
            namespace: "team-a",
            pod: "penguins-train-a",
            reads: 2,
            lastRead: "2026-12-07T09:00:03Z",
          },
          {
            serviceAccount: "penguins-train",
            namespace: "team-a",
            pod: "penguins-train-b",
            reads: 1,
            lastRead: "2026-12-07T09:00:02Z",
          },
        ],
      },
      {
        keyId: "k0",
        reads: 1,
        firstRead: "2026-12-07T09:00:00Z",
        lastRead: "2026-12-07T09:00:00Z",
        through: "2026-12-07T09:00:00.000000000Z",
        readers: [{ identity: "token", reads: 1, lastRead: "2026-12-07T09:00:00Z" }],
      },
    ]);
  });

  it("adds nothing when the same events come again (a log read again after a restart)", () => {
    const events = [ev("2026-12-07T09:00:01Z"), ev("2026-12-07T09:00:02Z"), ev("2026-12-07T09:00:03Z")];
    const once = mergeAccess(undefined, events);
    expect(mergeAccess(once, events)).toEqual(once);
    // … and the same line twice in one batch counts once.
    expect(mergeAccess(undefined, [...events, ...events])).toEqual(once);
    const later = mergeAccess(once, [...events, ev("2026-12-07T09:00:04Z")]);
    expect(later[0]?.reads).toBe(4);
  });

  it("names the version status.versions gives the key id", () => {
    const out = mergeAccess(undefined, [ev("2026-12-07T09:00:01Z")], (k) => (k === "k1" ? "0123456789ab" : undefined));
    expect(out[0]?.version).toBe("0123456789ab");
  });

  it("bounds readers and versions, keeping the most recent", () => {
    const many = Array.from({ length: MAX_READERS + 5 }, (_, i) =>
      ev(`2026-12-07T09:00:${String(i).padStart(2, "0")}Z`, { pod: `p${i}` }),
    );
    const one = mergeAccess(undefined, many)[0];
    expect(one?.reads).toBe(MAX_READERS + 5);
    expect(one?.readers.map((r) => r.pod)).toEqual(
      Array.from({ length: MAX_READERS }, (_, i) => `p${MAX_READERS + 4 - i}`),
    );
    const versions = Array.from({ length: MAX_VERSIONS + 3 }, (_, i) =>
      ev(`2026-12-07T09:${String(i).padStart(2, "0")}:00Z`, { keyId: `k${i}` }),
    );
    const out = mergeAccess(undefined, versions);
    expect(out.length).toBe(MAX_VERSIONS);
    expect(out[0]?.keyId).toBe(`k${MAX_VERSIONS + 2}`);
    expect(out.at(-1)?.keyId).toBe("k3");
  });
});

describe("PendingAccess", () => {
  it("queues a DataSet's events, wakes it, and drops what its written status covers", () => {
    const woken: string[] = [];
    const p = new PendingAccess((k) => woken.push(k));
    p.add(ev("2026-12-07T09:00:01Z"));
    p.add(ev("2026-12-07T09:00:02Z", { dataset: "iris" }));
    p.add(ev("2026-12-07T09:00:03Z", { op: "write" })); // not part of the record
    expect(woken).toEqual(["team-a/penguins", "team-a/iris"]);
    const first = mergeAccess(undefined, p.pending("team-a/penguins"));
    p.add(ev("2026-12-07T09:00:04Z"));
    p.written("team-a/penguins", first);
    expect(p.pending("team-a/penguins").map((e) => e.time)).toEqual(["2026-12-07T09:00:04Z"]);
    p.written("team-a/penguins", mergeAccess(first, p.pending("team-a/penguins")));
    expect(p.pending("team-a/penguins")).toEqual([]);
    p.forget("team-a/iris");
    expect(p.pending("team-a/iris")).toEqual([]);
  });
});
