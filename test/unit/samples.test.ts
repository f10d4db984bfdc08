import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";

const DIR = join(REPO_ROOT, "config/samples");
const files = readdirSync(DIR).filter((f) => f.startsWith("liftoff_"));

describe("config/samples", () => {
  it.each(files)("%s carries no namespace, so kubectl apply -n <ns> puts it anywhere", (file) => {
    const docs = parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => d.toJS());
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.metadata?.name).toBeTruthy();
      expect(doc.metadata?.namespace).toBeUndefined();
    }
  });
});
