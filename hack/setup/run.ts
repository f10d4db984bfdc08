// Runs the set-up components side by side: downloads (network) overlap the Go build (CPU). A component whose
// --check passes stays silent; otherwise it gets a start line with an estimate, its script's own prefixed lines,
// a heartbeat while it is silent, and a done line with the elapsed time.
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import type { SetupComponent } from "./components.js";
import {
  doneLine,
  failedLine,
  heartbeatLine,
  readTimings,
  startLine,
  summaryLine,
  timingsFile,
  writeTimings,
} from "./progress.js";

export interface RunOptions {
  log?: (line: string) => void;
  /** A silent running component gets a heartbeat line this often. */
  heartbeatMs?: number;
  env?: NodeJS.ProcessEnv;
}

type Outcome = { name: string; state: "cached" | "done" | "failed"; seconds: number };

interface Exit {
  ok: boolean;
  detail: string;
}

/** Runs a command; each complete stderr line goes to `onLine`. */
function exec(command: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const [cmd, ...args] = command;
    const child = spawn(cmd ?? "false", args, { cwd: REPO_ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let pending = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.on("error", (err) => resolve({ ok: false, detail: err.message }));
    child.on("close", (code, signal) => {
      if (pending) onLine(pending);
      resolve({ ok: code === 0, detail: signal ? `killed by ${signal}` : `exit ${code}` });
    });
  });
}

async function runOne(c: SetupComponent, estimate: number, opts: Required<RunOptions>): Promise<Outcome> {
  if ((await exec(c.check, opts.env, () => undefined)).ok) return { name: c.name, state: "cached", seconds: 0 };
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  opts.log(startLine(c.name, c.title, estimate));
  let lastOutput = Date.now();
  const beat = setInterval(() => {
    if (Date.now() - lastOutput < opts.heartbeatMs) return;
    lastOutput = Date.now();
    opts.log(heartbeatLine(c.name, elapsed(), estimate));
  }, opts.heartbeatMs / 4);
  const exit = await exec(c.command, opts.env, (line) => {
    lastOutput = Date.now();
    opts.log(line);
  });
  clearInterval(beat);
  opts.log(exit.ok ? doneLine(c.name, elapsed()) : failedLine(c.name, elapsed(), exit.detail));
  return { name: c.name, state: exit.ok ? "done" : "failed", seconds: elapsed() };
}

/** Runs every component; true when all succeeded. Cold-run durations are remembered for the next estimates. */
export async function runSetup(components: SetupComponent[], options: RunOptions = {}): Promise<boolean> {
  const opts: Required<RunOptions> = {
    log: options.log ?? ((line) => console.error(line)),
    heartbeatMs: options.heartbeatMs ?? 20_000,
    env: options.env ?? process.env,
  };
  const file = timingsFile(opts.env);
  const timings = readTimings(file);
  const started = Date.now();
  const outcomes = await Promise.all(components.map((c) => runOne(c, timings[c.name] ?? c.estimateSeconds, opts)));
  const done = outcomes.filter((o) => o.state === "done");
  if (done.length > 0) {
    for (const o of done) timings[o.name] = Math.round(o.seconds);
    writeTimings(file, timings);
  }
  if (outcomes.some((o) => o.state === "failed")) return false;
  const names = (state: Outcome["state"]) => outcomes.filter((o) => o.state === state).map((o) => o.name);
  opts.log(summaryLine((Date.now() - started) / 1000, names("cached"), names("done")));
  return true;
}
