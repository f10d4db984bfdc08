import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import { fetchSavedModelArtifact, isSavedModelLocation } from "./savedmodel-artifact.js";

let root: string;
let src: string;
let tmp: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "liftoff-sm-artifact-"));
  src = path.join(root, "model");
  tmp = path.join(root, "tmp");
  await mkdir(path.join(src, "variables"), { recursive: true });
  await mkdir(tmp);
  await writeFile(path.join(src, "saved_model.pb"), "graph");
  await writeFile(path.join(src, "variables", "variables.index"), "index");
  await writeFile(path.join(src, "variables", "variables.data-00000-of-00001"), "weights");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = (p: string) => ({ kind: "file" as const, path: p });

describe("fetchSavedModelArtifact", () => {
  it("the digest is the documented sha256sum-lines command's, over every file of the folder", async () => {
    const a = await fetchSavedModelArtifact(at(src), undefined, tmp);
    const { stdout } = await promisify(execFile)("bash", [
      "-c",
      '(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum',
      "_",
      src,
    ]);
    expect(a.digest).toBe(stdout.split(" ")[0]);
    expect(a.files).toBe(3);
    expect(a.bytes).toBe("graph".length + "index".length + "weights".length);
    await a.remove();
  });

  it("loads from a private copy: a file changed in the source after the check is not what is served", async () => {
    const a = await fetchSavedModelArtifact(at(src), undefined, tmp);
    await writeFile(path.join(src, "variables", "variables.data-00000-of-00001"), "swapped");
    expect(await readFile(path.join(a.dir, "variables", "variables.data-00000-of-00001"), "utf8")).toBe("weights");
    expect(path.dirname(a.dir)).toBe(tmp);
    await a.remove();
    expect(await readdir(tmp)).toEqual([]);
  });

  it("file names are covered: two files' contents swapped give another digest", async () => {
    const before = (await fetchSavedModelArtifact(at(src), undefined, tmp)).digest;
    await writeFile(path.join(src, "variables", "variables.index"), "weights");
    await writeFile(path.join(src, "variables", "variables.data-00000-of-00001"), "index");
    const after = await fetchSavedModelArtifact(at(src), undefined, tmp);
    expect(after.digest).not.toBe(before);
    await after.remove();
  });

  it("a digest mismatch is refused and leaves no copy behind", async () => {
    await expect(fetchSavedModelArtifact(at(src), "0".repeat(64), tmp)).rejects.toThrow(
      /^model digest mismatch: expected sha256:0{64}, got sha256:[0-9a-f]{64} \(over the SavedModel folder's 3 files\); refusing to serve$/,
    );
    expect(await readdir(tmp)).toEqual([]);
  });

  it("a folder without saved_model.pb is not a SavedModel (a TF.js one is told its format)", async () => {
    await rm(path.join(src, "saved_model.pb"));
    await writeFile(path.join(src, "model.json"), "{}");
    await expect(fetchSavedModelArtifact(at(src), undefined, tmp)).rejects.toThrow(
      new ConfigError(
        `the model folder is not a TensorFlow SavedModel: ${src} has no saved_model.pb (it has model.json: use format tfjs-layers or tfjs-graph)`,
      ),
    );
  });

  it("a file, a missing path, a link inside the folder and an http(s) location are ConfigErrors", async () => {
    const pb = path.join(src, "saved_model.pb");
    await expect(fetchSavedModelArtifact(at(pb), undefined, tmp)).rejects.toThrow(/is a file; name its folder$/);
    await expect(fetchSavedModelArtifact(at(path.join(root, "nope")), undefined, tmp)).rejects.toThrow(
      /^the model path does not exist: /,
    );
    await symlink("/etc/passwd", path.join(src, "variables", "extra"));
    await expect(fetchSavedModelArtifact(at(src), undefined, tmp)).rejects.toThrow(
      new ConfigError("the SavedModel folder holds 'variables/extra', which is not a regular file or folder"),
    );
    await expect(
      fetchSavedModelArtifact({ kind: "http", url: new URL("https://example.com/m/") }, undefined, tmp),
    ).rejects.toThrow(/^a tf-savedmodel is a folder, which http\(s\) cannot list/);
    expect(await readdir(tmp)).toEqual([]);
  });

  it("--model-format auto takes a folder with saved_model.pb and no model.json as a SavedModel", async () => {
    expect(await isSavedModelLocation(at(src))).toBe(true);
    expect(await isSavedModelLocation(at(path.join(src, "saved_model.pb")))).toBe(false);
    expect(await isSavedModelLocation({ kind: "http", url: new URL("https://example.com/m/") })).toBe(false);
    await writeFile(path.join(src, "model.json"), "{}");
    expect(await isSavedModelLocation(at(src))).toBe(false);
  });
});
