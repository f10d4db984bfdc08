import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { copyHeader, renderGeneratedFiles } from "./gen-crds-lib.js";

describe("generated files", () => {
  it.each([...renderGeneratedFiles().keys()])("%s matches the TypeScript source (run npm run gen if not)", (path) => {
    const committed = readFileSync(join(REPO_ROOT, path), "utf8");
    expect(committed).toBe(renderGeneratedFiles().get(path));
  });
});

describe("CRD copies for kustomize and helm", () => {
  const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
  const body = (text: string) => text.slice(text.indexOf("\n") + 1);
  const sources = readdirSync(join(REPO_ROOT, "crds")).map((f) => `crds/${f}`);
  const copies = [
    ...readdirSync(join(REPO_ROOT, "config/crd/bases")).map((f) => `config/crd/bases/${f}`),
    ...readdirSync(join(REPO_ROOT, "charts/liftoff/crds")).map((f) => `charts/liftoff/crds/${f}`),
  ];

  it("are all generated: none is edited by hand", () => {
    const generated = renderGeneratedFiles();
    for (const path of [...sources, ...copies]) expect(generated.has(path), path).toBe(true);
  });

  it("each say which file of crds/ they copy, and match it byte for byte below that line", () => {
    expect(copies).toHaveLength(2 * sources.length);
    for (const copy of copies) {
      const text = read(copy);
      const source = sources.find((s) => text.startsWith(copyHeader(s)));
      expect(source, `${copy} names no file of crds/`).toBeDefined();
      expect(body(text)).toBe(body(read(source ?? "")));
    }
  });
});
