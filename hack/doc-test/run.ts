// Runs a page's shell blocks in order, as a reader would paste them into one terminal: a block starts where the
// previous one left off (exported variables and the working directory carry over), in the repository root, on a dev
// cluster — the page's `.liftoff/local/` is read as `.liftoff/<cluster>/`, so the integration tests run the pages on
// their own cluster. The first failing block ends the page; processes a page started (background blocks, `&`
// servers) are stopped, by process group, when it ends.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ShellBlock, shellBlocks } from "./blocks.js";
import { outputMismatch } from "./expected-output.js";

export interface PageRunOptions {
  repoRoot: string;
  /** The dev cluster the page's `.liftoff/local/` means. */
  cluster: string;
  /** The environment blocks start from (KUBECONFIG is removed: a page that uses a cluster says which). */
  env: NodeJS.ProcessEnv;
  blockTimeoutMs?: number;
  log?: (line: string) => void;
}

type BlockOutcome = "passed" | "failed" | "skipped" | "background" | "not reached";

export interface BlockResult {
  line: number;
  outcome: BlockOutcome;
  /** Why it was skipped, or what failed. */
  reason?: string;
  output?: string;
}

/** The page's block as run on `cluster`. */
export function onCluster(code: string, cluster: string): string {
  return code.replaceAll(".liftoff/local/", `.liftoff/${cluster}/`);
}

function script(block: ShellBlock, cluster: string, state: string, repoRoot: string, save: boolean): string {
  return [
    "set -eo pipefail",
    `cd ${JSON.stringify(repoRoot)}`,
    `[ -f "${state}/env" ] && . "${state}/env"`,
    `[ -f "${state}/cwd" ] && cd "$(cat "${state}/cwd")"`,
    ...(save ? [`trap 'export -p > "${state}/env"; pwd > "${state}/cwd"' EXIT`] : []),
    onCluster(block.code, cluster),
    "",
  ].join("\n");
}

export async function runPage(markdown: string, opts: PageRunOptions): Promise<BlockResult[]> {
  const blocks = shellBlocks(markdown);
  const state = mkdtempSync(join(tmpdir(), "liftoff-doc-test-"));
  const groups: number[] = [];
  // npm's "new version available" notice would land in the compared output of any block that runs npm.
  const env: NodeJS.ProcessEnv = { ...opts.env, npm_config_update_notifier: "false" };
  delete env.KUBECONFIG;
  const results: BlockResult[] = [];
  let failed = false;
  try {
    for (const [i, block] of blocks.entries()) {
      if (failed) results.push({ line: block.line, outcome: "not reached" });
      else if (block.skip !== undefined) results.push({ line: block.line, outcome: "skipped", reason: block.skip });
      else {
        opts.log?.(`line ${block.line}: ${block.code.split("\n")[0]}`);
        const outFile = join(state, `block-${i}.out`);
        const fd = openSync(outFile, "w");
        const child = spawn("bash", ["-c", script(block, opts.cluster, state, opts.repoRoot, !block.background)], {
          cwd: opts.repoRoot,
          env,
          detached: true,
          stdio: ["ignore", fd, fd],
        });
        closeSync(fd);
        if (child.pid !== undefined) groups.push(child.pid);
        if (block.background) {
          results.push({ line: block.line, outcome: "background" });
          continue;
        }
        const result = await finished(child, opts.blockTimeoutMs ?? 300_000);
        const output = readFileSync(outFile, "utf8");
        const mismatch = block.expected === undefined ? undefined : outputMismatch(block.expected, output);
        const reason = result ?? mismatch;
        if (reason) failed = true;
        results.push({
          line: block.line,
          outcome: reason ? "failed" : "passed",
          output,
          ...(reason ? { reason } : {}),
        });
      }
    }
  } finally {
    await stopGroups(groups);
    rmSync(state, { recursive: true, force: true });
  }
  return results;
}

/** undefined on exit 0, else why not. Waits for the shell only: servers it left in the background keep running. */
function finished(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      resolve(`still running after ${timeoutMs / 1000} s`);
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `exited with ${code ?? signal}`);
    });
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

/** A process's state letter and process group from /proc (Linux), or undefined once it is gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after its last ")".
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state = "", , pgrp = ""] = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/**
 * Whether a process still runs. An exited process whose parent has not reaped it yet (a zombie: an orphan under a
 * PID 1 that does not reap) still answers kill(pid, 0), yet it has stopped.
 */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** Whether any process of a group still runs (zombies do not count, see isRunning). */
function groupRunning(pgid: number): boolean {
  if (!killGroup(pgid, 0)) return false;
  return readdirSync("/proc").some((entry) => {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) return false;
    const stat = procStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== "Z";
  });
}

async function stopGroups(groups: number[]): Promise<void> {
  const alive = groups.filter((g) => killGroup(g, "SIGTERM"));
  for (let waited = 0; waited < 10_000 && alive.some(groupRunning); waited += 200)
    await new Promise((r) => setTimeout(r, 200));
  const stubborn = alive.filter(groupRunning);
  for (const g of stubborn) killGroup(g, "SIGKILL");
  // SIGKILL is delivered asynchronously: return only once the groups are gone (a shell that ignores SIGTERM, e.g. one
  // started under a parent that set SIGTERM to ignored, lands here).
  for (let waited = 0; waited < 5_000 && stubborn.some(groupRunning); waited += 50)
    await new Promise((r) => setTimeout(r, 50));
}

/** For `npx tsx hack/doc-test/cli.ts`: a one-page summary line per block. */
export function describeResults(file: string, results: BlockResult[]): string[] {
  return results.map((r) => `${file}:${r.line} ${r.outcome}${r.reason ? `: ${r.reason}` : ""}`);
}
