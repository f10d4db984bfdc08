// Runs config/argocd/health.lua in a real Lua VM (fengari) against the statuses the operator writes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error fengari ships no type declarations
import { lauxlib, lua, lualib, to_luastring } from "fengari";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";

const script = readFileSync(join(REPO_ROOT, "config/argocd/health.lua"), "utf8");

/** A JSON value as a Lua table constructor, so `obj` is a plain Lua table as Argo CD passes it. */
function toLua(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "string") return JSON.stringify(v); // JSON string escapes are valid Lua for this data
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `{${v.map(toLua).join(", ")}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${toLua(x)}`)
    .join(", ")}}`;
}

/** Evaluates the health script with `obj` bound as Argo CD binds it; returns { status, message }. */
function health(obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const program = `obj = ${toLua(obj)}\nlocal function check()\n${script}\nend\nlocal hs = check()\nreturn hs.status, hs.message`;
  if (lauxlib.luaL_dostring(L, to_luastring(program)) !== 0) throw new Error(`lua: ${lua.lua_tojsstring(L, -1)}`);
  return { status: lua.lua_tojsstring(L, -2), message: lua.lua_tojsstring(L, -1) };
}

const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message });
const mdep = (generation: number, observed: number, conditions: unknown[]) => ({
  kind: "ModelDeployment",
  metadata: { generation },
  status: { observedGeneration: observed, conditions },
});

describe("Argo CD health script", () => {
  it("is Healthy once the current generation is Ready", () => {
    expect(health(mdep(2, 2, [cond("Ready", "True", "Available", "2/2 replicas available")]))).toEqual({
      status: "Healthy",
      message: "2/2 replicas available",
    });
  });

  it("is Progressing while the operator has not observed the current generation", () => {
    expect(health(mdep(3, 2, [cond("Ready", "True", "Available", "old")])).status).toBe("Progressing");
    expect(health({ kind: "ModelDeployment", metadata: { generation: 1 } }).status).toBe("Progressing");
  });

  it("is Degraded, with the reason, when Stalled (a crash-looping model)", () => {
    const m = mdep(1, 1, [
      cond("Ready", "False", "CrashLoopBackOff", "pod x: model path does not exist"),
      cond("Stalled", "True", "CrashLoopBackOff", "pod x: model path does not exist"),
    ]);
    expect(health(m)).toEqual({ status: "Degraded", message: "CrashLoopBackOff: pod x: model path does not exist" });
  });

  it("is Progressing, with the reason, while waiting for a TrainingJob", () => {
    const m = mdep(1, 1, [cond("Ready", "False", "ModelNotReady", "TrainingJob t has not succeeded yet")]);
    expect(health(m)).toEqual({ status: "Progressing", message: "ModelNotReady: TrainingJob t has not succeeded yet" });
  });

  it("maps TrainingJob phases to Healthy, Degraded and Suspended", () => {
    const tj = (phase: string) => ({
      kind: "TrainingJob",
      metadata: { generation: 1 },
      status: { observedGeneration: 1, phase, conditions: [] },
    });
    expect(health(tj("Succeeded")).status).toBe("Healthy");
    expect(health(tj("Failed")).status).toBe("Degraded");
    expect(health(tj("Suspended")).status).toBe("Suspended");
    expect(health(tj("Running"))).toEqual({ status: "Progressing", message: "training running" });
  });

  it("follows a TrainingSearch: Progressing while it searches, Healthy once it has succeeded, Degraded when trials fail", () => {
    const search = (conditions: unknown[]) => ({
      kind: "TrainingSearch",
      metadata: { generation: 1 },
      status: { observedGeneration: 1, conditions },
    });
    const running = "best val_accuracy 0.97 by s-1; 3 of 8 trials: 1 succeeded, 0 stopped early, 0 failed, 2 running";
    expect(
      health(search([cond("Ready", "False", "Searching", running), cond("Reconciling", "True", "Searching", running)])),
    ).toEqual({ status: "Progressing", message: `Searching: ${running}` });
    expect(health(search([cond("Ready", "True", "Succeeded", "best val_accuracy 0.98 by s-4")]))).toEqual({
      status: "Healthy",
      message: "best val_accuracy 0.98 by s-4",
    });
    const failed = "5 trials failed, more than maxFailedTrials (4)";
    expect(
      health(
        search([
          cond("Ready", "False", "TooManyTrialsFailed", failed),
          cond("Stalled", "True", "TooManyTrialsFailed", failed),
        ]),
      ),
    ).toEqual({ status: "Degraded", message: `TooManyTrialsFailed: ${failed}` });
  });
});
