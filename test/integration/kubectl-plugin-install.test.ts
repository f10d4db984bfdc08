// The kubectl plugin installed the ways users install it, on clean prefixes, against the test cluster:
// - the npm package: `npm pack` of plugin/ and `npm install -g` of the tarball into an empty prefix (what
//   `npm run plugin:install` does with the user's own prefix); with only that prefix's bin, kubectl's folder and
//   node's on PATH, kubectl finds the plugin and its completion hook;
// - the single executable (`npm run plugin:release`): runs with no node on PATH;
// - krew (built from the Go module proxy by hack/build-krew.sh): installs the release archive from the krew manifest.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { buildPlugin, buildRelease, KREW_MANIFEST, packPlugin, type Release } from "../../hack/build-plugin.js";

const execFileAsync = promisify(execFile);
const kubeconfig = inject("kubeconfig");
const kubectlPath = inject("kubectl");
const tmp = mkdtempSync(join(tmpdir(), "liftoff-plugin-install-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a program with exactly this PATH; resolves with its exit code and output (never rejects on exit ≠ 0). */
async function runWith(path: string[], file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const r = await execFileAsync(file, args, {
      env: { HOME: tmp, NO_COLOR: "1", ...env, PATH: path.join(delimiter) },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** The API server's version as kubectl itself reports it. */
function serverVersion(): string {
  const out = execFileSync(kubectlPath, ["version", "-o", "json", "--kubeconfig", kubeconfig], { encoding: "utf8" });
  return (JSON.parse(out) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
}

/** A folder holding only kubectl, so PATH can hold kubectl without the rest of its folder (node, for one). */
const kubectlOnly = join(tmp, "kubectl-only");
beforeAll(() => {
  execFileSync("mkdir", ["-p", kubectlOnly]);
  symlinkSync(kubectlPath, join(kubectlOnly, "kubectl"));
});

describe("npm install -g of the packed package", () => {
  const prefix = join(tmp, "npm-prefix");
  let path: string[];
  beforeAll(async () => {
    await buildPlugin();
    const tarball = packPlugin();
    execFileSync("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", tarball], {
      env: { ...process.env, npm_config_cache: join(tmp, "npm-cache") },
      stdio: "pipe",
    });
    // the package's bins run on the user's node
    path = [join(prefix, "bin"), kubectlOnly, dirname(process.execPath)];
  }, 120_000);

  it("kubectl plugin list finds kubectl-liftoff in the prefix, and kubectl liftoff version shows the cluster's", async () => {
    const list = await runWith(path, "kubectl", ["plugin", "list"]);
    expect(list.stdout).toContain(join(prefix, "bin", "kubectl-liftoff"));
    const v = await runWith(path, "kubectl", ["liftoff", "version", "--kubeconfig", kubeconfig]);
    expect(v.stderr).toBe("");
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Client Version: kubectl-liftoff \d+\.\d+\.\d+ /m);
    expect(v.stdout).toContain(`Server Version: ${serverVersion()}`);
    // the installed copy finds the chart's files beside its bundle, not in this checkout
    const json = await runWith(path, "kubectl", ["liftoff", "version", "--client", "-o", "json"]);
    expect(JSON.parse(json.stdout).clientVersion.assets).toEqual({
      "resvg.wasm": "bundle",
      "DejaVuSans.ttf": "bundle",
    });
  });

  it("completion: kubectl's plugin hook runs kubectl_complete-liftoff, and the bash script loads", async () => {
    const hook = await runWith(path, "kubectl", ["__complete", "liftoff", "cu"]);
    expect(hook.stdout.split("\n")[0]).toMatch(/^curves\t/);
    const o = await runWith(path, "kubectl", ["__complete", "liftoff", "tree", "-o", ""]);
    expect(o.stdout.split("\n").slice(0, 3)).toEqual(["json", "yaml", "wide"]);
    const bash = await runWith([...path, "/usr/bin", "/bin"], "bash", [
      "-c",
      "source <(kubectl liftoff completion bash) && complete -p kubectl-liftoff",
    ]);
    expect(bash.stdout.trim()).toBe("complete -F __kubectl_liftoff_complete kubectl-liftoff");
  });
});

describe("the single executable and krew", () => {
  let release: Release;
  let releaseSeconds = 0;
  beforeAll(async () => {
    const t0 = Date.now();
    // The repo's manifest stays as committed; this build writes its own copy beside the archive.
    release = await buildRelease({ writeManifest: false });
    releaseSeconds = (Date.now() - t0) / 1000;
  }, 300_000);

  it("runs version and tree --help with no node on PATH", async () => {
    const bin = join(tmp, "sea-bin");
    execFileSync("mkdir", ["-p", bin]);
    symlinkSync(release.executable, join(bin, "kubectl-liftoff"));
    const path = [bin, kubectlOnly];
    expect((await runWith(path, "sh", ["-c", "command -v node"])).code).not.toBe(0);
    const v = await runWith(path, "kubectl", ["liftoff", "version", "--kubeconfig", kubeconfig]);
    expect(v.stderr).toBe("");
    expect(v.stdout).toContain(`Server Version: ${serverVersion()}`);
    const json = await runWith(path, "kubectl", ["liftoff", "version", "--client", "-o", "json"]);
    expect(JSON.parse(json.stdout).clientVersion.assets).toEqual({
      "resvg.wasm": "executable",
      "DejaVuSans.ttf": "executable",
    });
    const help = await runWith(path, "kubectl", ["liftoff", "tree", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("kubectl liftoff tree");
    console.log(`plugin release build (SEA + archive): ${releaseSeconds.toFixed(1)} s`);
  });

  it("krew installs the archive from the manifest, and kubectl liftoff version --client runs", async () => {
    const krewDir = execFileSync("bash", [join(REPO_ROOT, "hack", "build-krew.sh")], { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop() as string;
    const krewRoot = join(tmp, "krew");
    const path = [join(krewRoot, "bin"), krewDir, kubectlOnly];
    const env = { KREW_ROOT: krewRoot, KREW_NO_UPGRADE_CHECK: "1" };
    const t0 = Date.now();
    const install = await runWith(
      path,
      "kubectl",
      ["krew", "install", `--manifest=${release.manifest}`, `--archive=${release.archive}`],
      env,
    );
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toMatch(/Installed plugin: liftoff/);
    console.log(`krew install: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const v = await runWith(path, "kubectl", ["liftoff", "version", "--client"], env);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^Client Version: kubectl-liftoff \d+\.\d+\.\d+ /);
    // krew's record of it (`krew list` needs the online index, which this test does not fetch)
    expect(readFileSync(join(krewRoot, "receipts", "liftoff.yaml"), "utf8")).toMatch(/^kind: Plugin$/m);
    const plugins = await runWith(path, "kubectl", ["plugin", "list"], env);
    expect(plugins.stdout).toContain(join(krewRoot, "bin", "kubectl-liftoff"));
  });

  it("the repo ships the krew manifest with this build's sha256", () => {
    const shipped = readFileSync(KREW_MANIFEST, "utf8");
    expect(
      shipped,
      "plugin/krew/liftoff.yaml is stale (the plugin's code or Node changed since it was written): run npm run plugin:release and commit it",
    ).toBe(readFileSync(release.manifest, "utf8"));
  });
});
