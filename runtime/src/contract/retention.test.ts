import { describe, expect, it } from "vitest";
import { nextExpiry, parseDuration, retentionPolicy, versionsToDrop } from "./retention.js";

const H = 3_600_000;
const NOW = 1_000 * H;
// Newest first: published 1, 10, 30 and 50 hours ago.
const versions = [
  { name: "d", publishedMs: NOW - 50 * H },
  { name: "a", publishedMs: NOW - 1 * H },
  { name: "c", publishedMs: NOW - 30 * H },
  { name: "b", publishedMs: NOW - 10 * H },
];

describe("retention", () => {
  it.each([
    ["720h", 720 * H],
    ["30d", 30 * 24 * H],
    ["90m", 90 * 60_000],
    ["45s", 45_000],
    ["0h", undefined],
    ["1.5h", undefined],
    ["h", undefined],
    ["10w", undefined],
  ])("parses the duration %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("takes keepLast over retainVersions; maxAge alone keeps retainVersions as the count", () => {
    expect(retentionPolicy({ retainVersions: 3 })).toEqual({ keepLast: 3 });
    expect(retentionPolicy({ retainVersions: 3, retention: { keepLast: 1 } })).toEqual({ keepLast: 1 });
    expect(retentionPolicy({ retainVersions: 3, retention: { maxAge: "2d" } })).toEqual({
      keepLast: 3,
      maxAgeMs: 48 * H,
    });
  });

  it("drops beyond keepLast and past maxAge, never a kept version", () => {
    expect(versionsToDrop(versions, { keepLast: 2 }, [], NOW)).toEqual([
      { name: "c", reason: "KeepLast" },
      { name: "d", reason: "KeepLast" },
    ]);
    expect(versionsToDrop(versions, { keepLast: 2 }, ["c"], NOW)).toEqual([{ name: "d", reason: "KeepLast" }]);
    expect(versionsToDrop(versions, { keepLast: 3, maxAgeMs: 20 * H }, [], NOW)).toEqual([
      { name: "c", reason: "MaxAge" },
      { name: "d", reason: "KeepLast" },
    ]);
    // The newest is the current version (in keep): kept however old.
    expect(versionsToDrop(versions, { keepLast: 5, maxAgeMs: 0.5 * H }, ["a"], NOW).map((d) => d.name)).toEqual([
      "b",
      "c",
      "d",
    ]);
  });

  it("says when the next version falls past maxAge", () => {
    expect(nextExpiry(versions, { keepLast: 3 }, [])).toBeUndefined();
    expect(nextExpiry(versions, { keepLast: 3, maxAgeMs: 100 * H }, ["a", "d"])).toBe(NOW - 30 * H + 100 * H);
    expect(nextExpiry([versions[1] as (typeof versions)[0]], { keepLast: 3, maxAgeMs: H }, ["a"])).toBeUndefined();
  });
});
