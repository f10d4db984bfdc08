// What a reader of a DataSet output folder sees (pure file reads): complete versions, half-written ones (which must
// never be visible), and hidden staging folders. The prepare-kill, control-plane and disk-full faults judge by it.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ManifestJson } from "../../runtime/src/contract/artifacts.js";

export interface Versions {
  /** Complete version folders: manifest.json present, its sha256 is the folder's name, every file as listed. */
  complete: string[];
  /** Visible (non-dot) folders that are not complete versions: what a reader must never see. */
  broken: string[];
  /** Hidden staging folders (.staging-*), never read by anyone. */
  staging: string[];
}

function complete(dir: string, name: string): boolean {
  const manifestFile = join(dir, name, "manifest.json");
  if (!existsSync(manifestFile)) return false;
  const bytes = readFileSync(manifestFile);
  if (createHash("sha256").update(bytes).digest("hex") !== name) return false;
  const manifest = JSON.parse(bytes.toString("utf8")) as ManifestJson;
  return manifest.files.every((f) => {
    const file = join(dir, name, f.path);
    return (
      existsSync(file) &&
      statSync(file).size === f.size &&
      createHash("sha256").update(readFileSync(file)).digest("hex") === f.sha256
    );
  });
}

/** The version folders under an output folder, sorted into complete, broken and staging. */
export function versions(outDir: string): Versions {
  const v: Versions = { complete: [], broken: [], staging: [] };
  if (!existsSync(outDir)) return v;
  for (const name of readdirSync(outDir)) {
    if (name.startsWith(".")) v.staging.push(name);
    else if (complete(outDir, name)) v.complete.push(name);
    else v.broken.push(name);
  }
  return v;
}
