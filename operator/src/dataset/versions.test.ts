import { describe, expect, it } from "vitest";
import type { VersionRecord } from "../contract/retention.js";
import { agePrune, mergeVersions } from "./versions.js";

const H = 3_600_000;
const NOW = Date.parse("2026-12-07T12:00:00Z");
const hex = (c: string) => c.repeat(64);
const rec = (c: string, hoursAgo: number, state: VersionRecord["state"], extra: Partial<VersionRecord> = {}) => ({
  version: hex(c).slice(0, 12),
  digest: `sha256:${hex(c)}`,
  created: new Date(NOW - hoursAgo * H).toISOString(),
  state,
  ...extra,
});

describe("status.versions", () => {
  it("marks the current version, keeps earlier shreddings the report does not repeat, newest first", () => {
    const previous = [
      rec("b", 20, "Current"),
      rec("c", 30, "Retained"),
      rec("d", 40, "Shredded", { reason: "KeepLast", shredded: "2026-12-06T00:00:00Z" }),
    ];
    const reported = [
      rec("a", 1, "Retained", { keyId: "1".repeat(32) }),
      rec("b", 20, "Retained"),
      rec("c", 30, "Shredded", { reason: "KeepLast", shredded: "2026-12-07T11:00:00Z" }),
    ];
    expect(mergeVersions(previous, reported as VersionRecord[], `sha256:${hex("a")}`)).toEqual([
      rec("a", 1, "Current", { keyId: "1".repeat(32) }),
      rec("b", 20, "Retained"),
      rec("c", 30, "Shredded", { reason: "KeepLast", shredded: "2026-12-07T11:00:00Z" }),
      rec("d", 40, "Shredded", { reason: "KeepLast", shredded: "2026-12-06T00:00:00Z" }),
    ]);
  });

  it("keeps at most 20 shredded entries", () => {
    const previous = Array.from({ length: 25 }, (_, i) => ({
      ...rec("e", 100 + i, "Shredded"),
      digest: `sha256:${i.toString(16).padStart(64, "0")}`,
    }));
    const merged = mergeVersions(previous, [rec("a", 1, "Retained")] as VersionRecord[], `sha256:${hex("a")}`);
    expect(merged.length).toBe(21);
    expect(merged[20]?.digest).toBe(previous[19]?.digest);
  });
});

describe("retention.maxAge between generations", () => {
  const ds = (versions: ReturnType<typeof rec>[], maxAge?: string) => ({
    spec: { retainVersions: 3, ...(maxAge ? { retention: { maxAge } } : {}) },
    status: { digest: `sha256:${hex("a")}`, versions: versions as never },
  });

  it("drops the retained versions past maxAge, never the current one or one in use", () => {
    const versions = [rec("a", 100, "Current"), rec("b", 50, "Retained"), rec("c", 30, "Retained")];
    expect(agePrune(ds(versions, "24h"), [], NOW)).toEqual({ drop: [hex("b"), hex("c")] });
    expect(agePrune(ds(versions, "24h"), [hex("b")], NOW)).toEqual({ drop: [hex("c")] });
  });

  it("requeues at the next expiry, and does nothing without maxAge or anything to expire", () => {
    const versions = [rec("a", 1, "Current"), rec("b", 10, "Retained")];
    expect(agePrune(ds(versions, "12h"), [], NOW)).toEqual({ requeueAfterMs: 2 * H + 1000 });
    expect(agePrune(ds(versions, "30d"), [], NOW)).toEqual({ requeueAfterMs: 6 * H });
    expect(agePrune(ds(versions), [], NOW)).toBeUndefined();
    expect(agePrune(ds([rec("a", 100, "Current")], "1h"), [], NOW)).toBeUndefined();
  });
});
