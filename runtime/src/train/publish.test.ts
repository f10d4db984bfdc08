import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type LineageJson, publishArtifact } from "./publish.js";

const lineage = (uid?: string) =>
  ({ trainingJob: { name: "penguins", ...(uid ? { uid } : {}) } }) as unknown as LineageJson;

async function folders() {
  const root = await mkdtemp(path.join(tmpdir(), "liftoff-publish-"));
  const data = path.join(root, "data");
  const out = path.join(root, "out");
  await mkdir(data);
  await writeFile(path.join(data, "preprocessing.json"), "{}");
  await writeFile(path.join(data, "stats.json"), "{}");
  // What killed attempts left: this run's (uid u-1) and another TrainingJob's writing into the same folder.
  for (const left of [".tmp-u-1-aaaaaaaaaaaa", ".tmp-u-2-bbbbbbbbbbbb"]) {
    await mkdir(path.join(out, left), { recursive: true });
    await writeFile(path.join(out, left, "weights.bin"), "half");
  }
  return { data, out };
}

describe("publishArtifact", () => {
  it("finding: a training pod killed mid-publish left its half-written artifact in a hidden .tmp-* folder for good — the run's next attempt removes it", async () => {
    const { data, out } = await folders();
    const published = await publishArtifact(out, data, { json: "{}", weights: new Uint8Array(16) }, lineage("u-1"));
    const names = (await readdir(out)).sort();
    // The other run's folder may still be being written: only this run's own leftovers go.
    expect(names).toEqual([".tmp-u-2-bbbbbbbbbbbb", path.basename(published.dir)].sort());
    expect(published.digest).toBe(`sha256:${path.basename(published.dir)}`);
  });

  it("a run without a uid (local) removes nothing it cannot tell is its own", async () => {
    const { data, out } = await folders();
    const published = await publishArtifact(out, data, { json: "{}", weights: new Uint8Array(16) }, lineage());
    expect((await readdir(out)).sort()).toEqual(
      [".tmp-u-1-aaaaaaaaaaaa", ".tmp-u-2-bbbbbbbbbbbb", path.basename(published.dir)].sort(),
    );
  });
});
