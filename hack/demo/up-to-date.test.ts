// The make-style freshness check the demo's build step uses to skip tsc.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newestMtimeMs, upToDate } from "./up-to-date.js";

const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

function tree() {
  const dir = mkdtempSync(join(tmpdir(), "liftoff-uptodate-"));
  const src = join(dir, "src");
  mkdirSync(join(src, "sub"), { recursive: true });
  writeFileSync(join(src, "a.ts"), "");
  writeFileSync(join(src, "sub", "b.ts"), "");
  for (const p of [join(src, "a.ts"), join(src, "sub", "b.ts"), join(src, "sub"), src]) at(p, 1000);
  const stamp = join(dir, "built");
  writeFileSync(stamp, "");
  at(stamp, 2000);
  return { src, stamp };
}

describe("upToDate", () => {
  it("is true when nothing under the inputs is newer than the stamp", () => {
    const { src, stamp } = tree();
    expect(newestMtimeMs([src])).toBe(1000 * 1000);
    expect(upToDate(stamp, [src])).toBe(true);
  });

  it("is false when a nested file changed after the stamp", () => {
    const { src, stamp } = tree();
    at(join(src, "sub", "b.ts"), 3000);
    expect(upToDate(stamp, [src])).toBe(false);
  });

  it("is false when a file was deleted after the stamp (its folder changed)", () => {
    const { src, stamp } = tree();
    rmSync(join(src, "sub", "b.ts"));
    expect(upToDate(stamp, [src])).toBe(false);
  });

  it("is false without a stamp, and skips inputs that do not exist", () => {
    const { src, stamp } = tree();
    expect(upToDate(join(src, "no-stamp"), [src])).toBe(false);
    expect(upToDate(stamp, [src, join(src, "missing")])).toBe(true);
  });
});
