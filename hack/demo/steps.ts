// The demo as a sequence of named steps: each prints what it does and how long it took; a failed step prints
// its reason and, for a Liftoff object, the object's conditions and its pods' last log lines (never a stack trace).
import { loadavg } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import type { DemoOptions } from "./cli.js";
import { describeFailure, type ObjectRef } from "./report.js";

export interface DemoContext {
  options: DemoOptions;
  log(line: string): void;
  /** stderr is a terminal: progress bars redraw in place. */
  tty?: boolean;
  /** Text without a line break (an LLM's tokens as they stream in); absent: steps print whole lines only. */
  write?(text: string): void;
  /** Run at exit or Ctrl-C, last registered first. */
  onCleanup(what: string, fn: () => Promise<void> | void): void;
  /** Set by the cluster step. */
  kc?: KubeConfig;
  /** The local cluster's name (devcluster), when the demo runs on one. */
  clusterName?: string;
  kubeconfigPath?: string;
  kubectl?: string;
  /** Values one step hands to later ones (model URL, API key path, ...). */
  results: Map<string, unknown>;
}

export interface Step {
  name: string;
  title: string;
  /** Returns a short summary for the step's done line. */
  run(ctx: DemoContext): Promise<string | undefined>;
  /** A moment worth timing from the start (e.g. "first prediction"): printed with the time since the demo began. */
  milestone?: string;
}

/** A step's failure, with the object whose conditions and pods explain it. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly object?: ObjectRef,
  ) {
    super(message);
  }
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StepFailure(`internal: ${what} is not set by an earlier step`);
  return value;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Runs the steps in order; false (after printing why) when one fails. */
export async function runSteps(steps: Step[], ctx: DemoContext): Promise<boolean> {
  const total = steps.length;
  for (const [i, step] of steps.entries()) {
    const tag = `demo: [${i + 1}/${total}] ${step.name}`;
    ctx.log(`${tag}: ${step.title} ...`);
    const started = Date.now();
    try {
      const summary = await step.run(ctx);
      ctx.log(`${tag}: done in ${seconds(Date.now() - started)}${summary ? ` (${summary})` : ""}`);
      if (step.milestone) ctx.log(milestoneLine(step.milestone, process.uptime(), loadavg()[0] ?? 0));
    } catch (err) {
      ctx.log(`${tag}: failed after ${seconds(Date.now() - started)}: ${errorMessage(err)}`);
      if (err instanceof StepFailure && err.object && ctx.kc) {
        for (const line of await describeFailure(ctx.kc, err.object)) ctx.log(`  ${line}`);
      }
      return false;
    }
  }
  return true;
}

/** "demo: first prediction 38.2s after the demo started (load average 2.10)": the figure the start-up target is
 * about, with the load it was measured under (a shared machine's figures mean little without it). */
export function milestoneLine(what: string, uptimeSeconds: number, load: number): string {
  return `demo: ${what} ${uptimeSeconds.toFixed(1)}s after the demo started (load average ${load.toFixed(2)})`;
}

/** One line for any thrown value: the message of our errors, the API server's message of a rejected request. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object" && "body" in err && "code" in err) {
    const body = (err as { body: unknown }).body;
    try {
      const parsed = typeof body === "string" ? JSON.parse(body) : body;
      if (parsed && typeof parsed === "object" && "message" in parsed) return String(parsed.message);
    } catch {
      // not JSON: fall through to the plain message
    }
  }
  return err instanceof Error ? err.message : String(err);
}
