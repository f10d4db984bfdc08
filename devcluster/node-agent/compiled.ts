/**
 * The node agent compiled into one JavaScript file instead of run under tsx. Under tsx its start was mostly tsx
 * transpiling its ~60 files and Node's ES module loader walking client-node's ~900 files: 4.7–6.3 s to its usage line
 * at load average 7, against 0.5–1.1 s for the bundle (issue #31). esbuild builds it in about a second; cluster:up
 * rebuilds it only when one of its inputs is newer than the bundle (a stat of ~960 files: a few ms) and keeps it
 * under .liftoff/ (ignored). Any build failure falls back to tsx, as before, and says why.
 */
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";

/** How to start the agent: node's arguments before the agent's own flags. */
export interface AgentEntry {
  args: string[];
  /** The bundle is used; false: tsx runs the sources (the build failed: `why`). */
  compiled: boolean;
  why?: string;
}

/** Builds `entry` into one ES module and returns its text and its input files (paths relative to `root`). */
export type AgentBuild = (root: string, entry: string) => { code: Uint8Array; inputs: string[] };

/** esbuild (a devDependency, which tsx uses too), loaded only when a build is due. */
const esbuildBundle: AgentBuild = (root, entry) => {
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof Esbuild;
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    outfile: "node-agent.mjs",
    metafile: true,
    logLevel: "silent",
    // Bundled CommonJS dependencies call require(), which an ES module does not have.
    banner: {
      js: "import { createRequire as __agentRequire } from 'node:module'; const require = __agentRequire(import.meta.url);",
    },
  });
  const code = result.outputFiles[0]?.contents;
  if (code === undefined) throw new Error("esbuild wrote no output");
  return { code, inputs: Object.keys(result.metafile.inputs) };
};

/** True when the bundle exists and none of the inputs it was built from changed (or went away) since. */
function fresh(bundle: string, inputsFile: string, root: string): boolean {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, "utf8")) as string[];
    return inputs.length > 0 && inputs.every((p) => statSync(resolve(root, p)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/**
 * The agent's start arguments: the bundle under `outDir`, built first when missing or stale; tsx on the sources when
 * the build fails. Written to a temporary name and renamed, so two clusters starting at once never run half a file.
 */
export function nodeAgentEntry(
  root: string,
  outDir = join(root, ".liftoff", "node-agent"),
  build: AgentBuild = esbuildBundle,
): AgentEntry {
  const source = join(root, "devcluster", "node-agent", "main.ts");
  const bundle = join(outDir, "main.mjs");
  const inputsFile = join(outDir, "inputs.json");
  const tsx = (why: string): AgentEntry => ({
    args: ["--import", pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href, source],
    compiled: false,
    why,
  });
  if (fresh(bundle, inputsFile, root)) return { args: [bundle], compiled: true };
  try {
    const started = new Date();
    const { code, inputs } = build(root, source);
    mkdirSync(dirname(bundle), { recursive: true });
    const tmp = `${bundle}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    // The inputs first: a bundle newer than a stale list would pass as fresh.
    writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(inputs));
    renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
    renameSync(tmp, bundle);
    // Dated when the build began: a source saved while it ran is newer, so the next start rebuilds.
    utimesSync(bundle, started, started);
    return { args: [bundle], compiled: true };
  } catch (err) {
    return tsx(`cannot compile the node agent (${(err as Error).message.split("\n")[0]}): running it under tsx`);
  }
}
