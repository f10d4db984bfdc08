import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { archiveName, krewManifest } from "./krew-manifest.js";
import { tarGz } from "./tar.js";

const pluginVersion = (JSON.parse(readFileSync("plugin/package.json", "utf8")) as { version: string }).version;

interface KrewPlatform {
  selector: { matchLabels: Record<string, string> };
  uri: string;
  sha256: string;
  bin: string;
}

describe("the krew manifest the repo ships (plugin/krew/liftoff.yaml)", () => {
  const text = readFileSync("plugin/krew/liftoff.yaml", "utf8");
  const doc = parse(text) as {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: Record<string, unknown> & { platforms: KrewPlatform[] };
  };

  it("is a krew Plugin whose version is plugin/package.json's", () => {
    expect(doc.apiVersion).toBe("krew.googlecontainertools.github.com/v1alpha2");
    expect(doc.kind).toBe("Plugin");
    expect(doc.metadata.name).toBe("liftoff");
    expect(doc.spec.version).toBe(`v${pluginVersion}`);
    expect(doc.spec.homepage).toMatch(/^https:\/\//);
    expect(String(doc.spec.shortDescription).length).toBeLessThanOrEqual(80);
    expect(String(doc.spec.description)).toMatch(/kubectl liftoff/);
    // krew validates these: only the fields its Plugin type has
    expect(Object.keys(doc.spec).sort()).toEqual(
      ["description", "homepage", "platforms", "shortDescription", "version"].sort(),
    );
  });

  it("has a linux/amd64 platform pointing at the release archive, with a sha256 and the bin", () => {
    expect(doc.spec.platforms).toHaveLength(1);
    const [p] = doc.spec.platforms as [KrewPlatform];
    expect(p.selector.matchLabels).toEqual({ os: "linux", arch: "amd64" });
    expect(p.uri).toMatch(new RegExp(`^https://.*/plugin-v${pluginVersion}/${archiveName("linux", "amd64")}$`));
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.bin).toBe("kubectl-liftoff");
  });

  it("is what the release build writes for that sha256 (nobody edited it by hand)", () => {
    const [p] = doc.spec.platforms as [KrewPlatform];
    const again = krewManifest(pluginVersion, [
      { os: "linux", arch: "amd64", archive: archiveName("linux", "amd64"), sha256: p.sha256 },
    ]);
    expect(text).toBe(again);
  });
});

describe("the release archive", () => {
  const entries = [
    { name: "kubectl-liftoff", data: new TextEncoder().encode("#!/bin/sh\necho hi\n"), mode: 0o755 },
    { name: "LICENSE", data: new Uint8Array(700).fill(65), mode: 0o644 },
  ];

  it("is byte-for-byte the same for the same files, in any order", () => {
    const a = tarGz(entries);
    expect(tarGz([...entries].reverse()).equals(a)).toBe(true);
    expect(
      tarGz([{ ...entries[0], mode: 0o700 } as (typeof entries)[0], entries[1] as (typeof entries)[0]]).equals(a),
    ).toBe(false);
  });

  it("is a tar.gz that tar reads: sorted entries, owner 0/0, mtime 0, the executable's mode kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "liftoff-tar-"));
    try {
      const file = join(dir, "a.tar.gz");
      writeFileSync(file, tarGz(entries));
      const listing = execFileSync("tar", ["-tvzf", file, "--numeric-owner", "--utc"], { encoding: "utf8" });
      expect(listing.trim().split("\n")).toEqual([
        "-rw-r--r-- 0/0             700 1970-01-01 00:00 LICENSE",
        "-rwxr-xr-x 0/0              18 1970-01-01 00:00 kubectl-liftoff",
      ]);
      execFileSync("tar", ["-xzf", file, "-C", dir]);
      expect(readFileSync(join(dir, "kubectl-liftoff"), "utf8")).toBe("#!/bin/sh\necho hi\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
