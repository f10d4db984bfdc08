// docs/autoscaling.md lists every error code the activator answers with (clients branch on them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { Code } from "../../operator/src/activator/errors.js";

describe("docs/autoscaling.md", () => {
  it("has a row for each of the activator's error codes", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/autoscaling.md"), "utf8");
    const rows = doc.split("\n").filter((l) => l.startsWith("| `LIFTOFF_ERR_"));
    const documented = rows.map((l) => /^\| `(LIFTOFF_ERR_[A-Z_]+)`/.exec(l)?.[1]).sort();
    expect(documented).toEqual(Object.keys(Code).sort());
  });
});
