// The checkov policy scan of issue #24: renders the chart (default values, watchNamespaces set, images pinned by
// digest), the kustomize output and the objects the operator builds for the samples (run-objects.ts, with the default
// and a digest-pinned runtime image) into one folder, runs checkov (PyPI, hack/checkov-venv.sh) on it offline, and
// compares its failed checks with the deliberate ones in hack/checkov/skips.yaml. test/unit/checkov.test.ts runs it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { runObjects } from "./run-objects.js";

const ROOT = join(import.meta.dirname, "../..");
const SKIPS_FILE = join(ROOT, "hack/checkov/skips.yaml");
const PINNED = `sha256:${"ab".repeat(32)}`;

/** One rendered file: its name (without .yaml) is the scan's name in the skips file. */
export const SCANS = [
  "helm",
  "helm-watch-namespaces",
  "helm-pinned",
  "kustomize",
  "run-objects",
  "run-objects-pinned",
] as const;
type ScanName = (typeof SCANS)[number];

/** Prints a script's last stdout line (a path): the script fetches or builds what is missing, progress on stderr. */
const lastLine = (script: string) =>
  execFileSync("bash", [join(ROOT, script)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    .trim()
    .split("\n")
    .at(-1) ?? "";

/** Writes each scan's YAML into `dir`. */
export function renderAll(dir: string): void {
  const tools = lastLine("hack/fetch-kube-tools.sh");
  const helm = (...sets: string[]) =>
    execFileSync(
      join(tools, "helm"),
      ["template", "rel", join(ROOT, "charts/liftoff"), "--kube-version", "v1.35.4", "-n", "liftoff"].concat(
        sets.flatMap((s) => ["--set", s]),
      ),
      { encoding: "utf8" },
    );
  const objects = (runtimeImage?: string) =>
    runObjects(runtimeImage ? { runtimeImage } : {})
      .map((o) => stringify(o))
      .join("---\n");
  const files: Record<ScanName, () => string> = {
    helm: () => helm(),
    "helm-watch-namespaces": () => helm("watchNamespaces={team-a,team-b}"),
    "helm-pinned": () =>
      helm(`image.digest=${PINNED}`, `runtimeImage=ghcr.io/liftoff-dev/liftoff-runtime:0.1.0@${PINNED}`),
    kustomize: () =>
      execFileSync(join(tools, "kubectl"), ["kustomize", join(ROOT, "config/default")], { encoding: "utf8" }),
    "run-objects": () => objects(),
    "run-objects-pinned": () => objects(`ghcr.io/liftoff-dev/liftoff-runtime:0.1.0@${PINNED}`),
  };
  for (const name of SCANS) writeFileSync(join(dir, `${name}.yaml`), files[name]());
}

export interface CheckResult {
  check: string;
  name: string;
  scan: string;
  /** Kind/name, e.g. Deployment/liftoff-operator (checkov's id is Kind.namespace.name[.pod labels…]). */
  resource: string;
}

export interface Report {
  failed: CheckResult[];
  passed: CheckResult[];
  parsingErrors: number;
  version: string;
}

function resultOf(r: { check_id: string; check_name: string; file_path: string; resource: string }): CheckResult {
  const [kind, , name] = r.resource.split(".");
  return {
    check: r.check_id,
    name: r.check_name,
    scan: r.file_path.replace(/^.*\//, "").replace(/\.yaml$/, ""),
    resource: `${kind}/${name}`,
  };
}

/** Runs checkov's Kubernetes checks, all of them, on the folder: no download, no update check, no skips of its own. */
export function runCheckov(dir: string): Report {
  const checkov = lastLine("hack/checkov-venv.sh");
  let out: string;
  try {
    out = execFileSync(
      checkov,
      ["-d", dir, "--framework", "kubernetes", "--output", "json", "--compact", "--skip-download"],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: "true", BC_SKIP_MAPPING: "TRUE" },
      },
    );
  } catch (err) {
    // checkov exits 1 when a check fails; its report is still on stdout.
    const e = err as { status?: number; stdout?: string };
    if (e.status !== 1 || !e.stdout) throw err;
    out = e.stdout;
  }
  // Without --quiet: the JSON report then carries the passed checks too (the test checks each file was scanned).
  const report = JSON.parse(out);
  const results = report.results ?? {};
  return {
    failed: (results.failed_checks ?? []).map(resultOf),
    passed: (results.passed_checks ?? []).map(resultOf),
    parsingErrors: report.summary?.parsing_errors ?? -1,
    version: report.summary?.checkov_version ?? "",
  };
}

export interface Skip {
  check: string;
  /** checkov's name of the check, kept beside the id so the file reads without a lookup. */
  name: string;
  /** The scans it may fail in; every scan when absent. */
  scans?: string[];
  /** Kind/name globs (`*` matches any run of characters) of the resources it may fail for; any when absent. */
  resources?: string[];
  reason: string;
}

export function loadSkips(file = SKIPS_FILE): Skip[] {
  const skips = parse(readFileSync(file, "utf8")) as Skip[];
  for (const s of skips) {
    if (!/^CKV2?_K8S_\d+$/.test(s.check) || !s.name || !s.reason?.trim())
      throw new Error(`${file}: each skip needs a check id (CKV_K8S_n), its name and a reason: ${JSON.stringify(s)}`);
    for (const scan of s.scans ?? [])
      if (!(SCANS as readonly string[]).includes(scan)) throw new Error(`${file}: ${s.check}: no scan "${scan}"`);
  }
  return skips;
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

function covers(skip: Skip, r: CheckResult): boolean {
  return (
    skip.check === r.check &&
    (skip.scans === undefined || skip.scans.includes(r.scan)) &&
    (skip.resources === undefined || skip.resources.some((p) => glob(p).test(r.resource)))
  );
}

/** The failures no skip covers, and the skips that cover no failure (stale: the finding is gone, drop the entry). */
export function compare(failed: CheckResult[], skips: Skip[]): { unexpected: CheckResult[]; stale: Skip[] } {
  return {
    unexpected: failed.filter((f) => !skips.some((s) => covers(s, f))),
    stale: skips.filter((s) => !failed.some((f) => covers(s, f))),
  };
}
