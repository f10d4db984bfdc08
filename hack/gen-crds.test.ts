import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { renderGeneratedFiles } from "./gen-crds-lib.js";

describe("generated files", () => {
  it.each([...renderGeneratedFiles().keys()])("%s matches the TypeScript source (run npm run gen if not)", (path) => {
    const committed = readFileSync(join(REPO_ROOT, path), "utf8");
    expect(committed).toBe(renderGeneratedFiles().get(path));
  });
});
