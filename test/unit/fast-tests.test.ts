// Every entry in the slow-test list that `npm run check` skips still names a unit test file, so a test that moves
// or is renamed cannot silently join the fast set and stretch the check past a minute.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { SLOW_UNIT_TESTS } from "../../vitest.check.config.js";
import { UNIT_TESTS } from "../../vitest.config.js";

/** Files in the working tree, tracked or new, that a vitest-style glob matches. */
function matching(glob: string): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", `:(glob)${glob}`], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
}

describe("npm run check's slow unit tests", () => {
  const unitTests = UNIT_TESTS.flatMap(matching);

  it.each(SLOW_UNIT_TESTS)("%s names a unit test file", (glob) => {
    const files = matching(glob);
    expect(files).not.toEqual([]);
    for (const file of files) expect(unitTests).toContain(file);
  });
});
