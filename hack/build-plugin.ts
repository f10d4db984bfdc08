// Bundles the kubectl plugin (plugin/src) into one CommonJS file with no runtime dependencies,
// plugin/dist/kubectl-liftoff.cjs (the npm package's bin), copies the files its PNG chart reads next to it
// (plugin/dist/assets/, listed by plugin/src/chart/assets.ts), and links plugin/dist/bin/kubectl-liftoff and
// plugin/dist/bin/kubectl_complete-liftoff (kubectl's completion hook) to it so a PATH entry makes `kubectl liftoff`
// and its completion work from the checkout.
//   tsx hack/build-plugin.ts             the bundle (npm run build:plugin, part of npm run build: about a second)
//   tsx hack/build-plugin.ts --release   also the self-contained executable (Node SEA), its deterministic
//                                        linux-amd64 archive for krew and plugin/krew/liftoff.yaml with its sha256
//                                        (npm run plugin:release)
//   tsx hack/build-plugin.ts --pack      also `npm pack` of plugin/ into .liftoff/
//   tsx hack/build-plugin.ts --install   also `npm install --global` of that tarball (npm run plugin:install)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { exitOnHelp } from "../bench/lib/help.js";
import { pluginAssets } from "../plugin/src/chart/assets.js";
import { ASSET_DIR } from "../plugin/src/cli/assets.js";
import { archiveName, krewManifest } from "./plugin-release/krew-manifest.js";
import { buildSea } from "./plugin-release/sea.js";
import { tarGz } from "./plugin-release/tar.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PLUGIN_DIR = join(ROOT, "plugin");
export const PLUGIN_BUNDLE = join(PLUGIN_DIR, "dist", "kubectl-liftoff.cjs");
export const PLUGIN_BIN_DIR = join(PLUGIN_DIR, "dist", "bin");
/** The names the bundle answers to on PATH: the plugin, and kubectl's completion hook for it (kubectl ≥ 1.26). */
export const PLUGIN_BIN_NAMES = ["kubectl-liftoff", "kubectl_complete-liftoff"] as const;
export const RELEASE_DIR = join(ROOT, ".liftoff", "plugin-release");
export const KREW_MANIFEST = join(PLUGIN_DIR, "krew", "liftoff.yaml");

export function pluginVersion(): string {
  return (JSON.parse(readFileSync(join(PLUGIN_DIR, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Optional native helpers client-node's dependencies try to require inside try/catch (ws: bufferutil,
 * utf-8-validate; node-fetch: encoding). Bundled as modules that throw, so the bundle never looks for them on disk
 * and the single executable, whose require() loads built-in modules only, prints no warning about them.
 */
const OPTIONAL_MODULES = /^(bufferutil|utf-8-validate|encoding)$/;
const optionalModulesAbsent: Plugin = {
  name: "optional-modules-absent",
  setup(b) {
    b.onResolve({ filter: OPTIONAL_MODULES }, (a) => ({ path: a.path, namespace: "absent" }));
    b.onLoad({ filter: /.*/, namespace: "absent" }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`${a.path} is not bundled`)});`,
      loader: "js",
    }));
  },
};

export async function buildPlugin(): Promise<string> {
  await build({
    entryPoints: [join(PLUGIN_DIR, "src", "main.ts")],
    outfile: PLUGIN_BUNDLE,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    // import.meta.url means the bundle's own file in CommonJS too (createRequire in chart/assets.ts).
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [optionalModulesAbsent],
    define: { LIFTOFF_PLUGIN_VERSION: JSON.stringify(pluginVersion()), "import.meta.url": "__bundleUrl" },
  });
  chmodSync(PLUGIN_BUNDLE, 0o755);
  const assetDir = join(dirname(PLUGIN_BUNDLE), ASSET_DIR);
  rmSync(assetDir, { recursive: true, force: true });
  mkdirSync(assetDir, { recursive: true });
  for (const a of pluginAssets()) copyFileSync(a.path, join(assetDir, a.name));
  mkdirSync(PLUGIN_BIN_DIR, { recursive: true });
  for (const name of PLUGIN_BIN_NAMES) {
    const link = join(PLUGIN_BIN_DIR, name);
    rmSync(link, { force: true });
    symlinkSync("../kubectl-liftoff.cjs", link);
  }
  return PLUGIN_BUNDLE;
}

/** `npm pack` of plugin/ into .liftoff/: the tarball `npm install -g` installs. */
export function packPlugin(): string {
  const out = join(ROOT, ".liftoff");
  mkdirSync(out, { recursive: true });
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], {
    cwd: PLUGIN_DIR,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop() as string;
  return join(out, name);
}

export interface Release {
  executable: string;
  archive: string;
  sha256: string;
  manifest: string;
}

/** What the release's bytes depend on. */
function releaseKey(): string {
  const h = createHash("sha256");
  // The release code itself too: a change to how the executable or the archive is made must rebuild them.
  const releaseCode = ["sea.ts", "tar.ts"].map((f) => join(ROOT, "hack", "plugin-release", f));
  for (const file of [
    PLUGIN_BUNDLE,
    join(PLUGIN_DIR, "LICENSE"),
    ...pluginAssets().map((a) => a.path),
    ...releaseCode,
  ]) {
    h.update(readFileSync(file));
  }
  const node = statSync(process.execPath);
  h.update(`${process.execPath} ${process.version} ${node.size} ${node.mtimeMs}`);
  return h.digest("hex");
}

/** The SEA executable, its krew archive (kubectl-liftoff + LICENSE) and the krew manifest. Linux amd64 only. */
export async function buildRelease(opts: { writeManifest?: boolean } = {}): Promise<Release> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `the release build makes the linux-amd64 executable and runs on linux/x64 only (here ${process.platform}/${process.arch})`,
    );
  }
  await buildPlugin();
  const executable = join(RELEASE_DIR, "kubectl-liftoff");
  const archive = join(RELEASE_DIR, archiveName("linux", "amd64"));
  // The SEA build takes 20-50 s on two cores: skip it when its inputs (the bundle, the assets, the license, this
  // node binary) are those of the last build, whose outputs are still there.
  const key = releaseKey();
  const keyFile = join(RELEASE_DIR, "inputs.sha256");
  const fresh =
    existsSync(archive) && existsSync(executable) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key;
  if (!fresh) {
    rmSync(keyFile, { force: true });
    buildSea({ bundle: PLUGIN_BUNDLE, assets: pluginAssets(), workDir: join(RELEASE_DIR, "sea"), out: executable });
    const tar = tarGz([
      { name: "kubectl-liftoff", data: readFileSync(executable), mode: 0o755 },
      { name: "LICENSE", data: readFileSync(join(PLUGIN_DIR, "LICENSE")), mode: 0o644 },
    ]);
    writeFileSync(archive, tar);
    writeFileSync(keyFile, key);
  }
  const bytes = readFileSync(archive);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const text = krewManifest(pluginVersion(), [
    { os: "linux", arch: "amd64", archive: archiveName("linux", "amd64"), sha256 },
  ]);
  const manifest = opts.writeManifest === false ? join(RELEASE_DIR, "liftoff.yaml") : KREW_MANIFEST;
  mkdirSync(dirname(manifest), { recursive: true });
  writeFileSync(manifest, text);
  return { executable, archive, sha256, manifest };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  exitOnHelp(fileURLToPath(import.meta.url));
  const started = Date.now();
  const args = process.argv.slice(2);
  if (args.includes("--release")) {
    const r = await buildRelease();
    console.error(
      `build-plugin: ${r.executable}\nbuild-plugin: ${r.archive} (sha256 ${r.sha256})\nbuild-plugin: ${r.manifest}`,
    );
  } else {
    console.error(`build-plugin: ${await buildPlugin()}`);
  }
  if (args.includes("--pack") || args.includes("--install")) {
    const tarball = packPlugin();
    console.error(`build-plugin: ${tarball}`);
    // npm's own global install: the user's prefix (npm config get prefix) decides where the bins land.
    if (args.includes("--install")) execFileSync("npm", ["install", "--global", tarball], { stdio: "inherit" });
  }
  console.error(`build-plugin: done in ${Date.now() - started} ms`);
}
