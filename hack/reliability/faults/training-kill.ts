// Fault: a training pod SIGKILLed mid-write of its artifact. A TrainingJob publishes version A into an output
// folder; a second TrainingJob (another seed) trains into the same folder, and the moment its artifact's temporary
// folder (.tmp-*, publish.ts) appears — inotify, not a poll: the write takes tens of milliseconds — its pod's process
// group gets SIGKILL. The model is wide (2 × 2048 units, a 16 MB weights.bin) so the write lasts long enough to be
// hit; the kill counts only when that folder outlives the process (else "not run"). Target: A stays complete, no
// visible folder is a half-written version (checked every 200 ms), status.model never names an incomplete version,
// per the product's retry policy (Job backoffLimit 3, exit 137 retried) the Job's next pod resumes from its
// checkpoint and publishes a complete B, and the killed attempt's .tmp-* folder is gone by then.
// Recovery time: from the kill until Succeeded.
import { existsSync, rmSync, watch } from "node:fs";
import { join } from "node:path";
import { condition, waitSettled } from "../../../test/support/dataset.js";
import { applyObject, deleteAndWait, readObject } from "../../demo/kube.js";
import { type Env, NS } from "../env.js";
import { type Row, seconds } from "../table.js";
import { versions } from "../versions.js";
import { applyDataSet, trainingJob, trainingPods, writeSources } from "./datasets.js";
import { containerPid, sleep } from "./serving.js";

const NAME = "training-kill";
const DATA = "training-kill-data";
const OUT = "models/training-kill";
const tjRef = (name: string) => ({ kind: "TrainingJob", namespace: NS, name }) as const;
const MODEL = { units: [2048, 2048], epochs: 2, memory: "2Gi" };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// biome-ignore lint/suspicious/noExplicitAny: status read back
const finished = (tj: Record<string, any>) =>
  condition(tj, "Succeeded")?.status === "True"
    ? "Succeeded"
    : condition(tj, "Failed")?.status === "True"
      ? "Failed"
      : "";

async function waitFinished(env: Env, name: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tj = await readObject(env.kc, tjRef(name));
    if (finished(tj) || Date.now() > deadline) return tj;
    await sleep(500);
  }
}

export async function trainingKill(env: Env): Promise<Row> {
  const outDir = join(env.dataFolder, OUT);
  // Fresh each run: a finished TrainingJob is final, and the folder would hold an earlier run's versions.
  for (const n of [NAME, `${NAME}-a`]) await deleteAndWait(env.kc, tjRef(n), 120_000);
  rmSync(outDir, { recursive: true, force: true });
  const src = writeSources(env.dataFolder, 200);
  await applyDataSet(env.kc, NS, DATA, src.small, "out/training-kill-data");
  const ds = await waitSettled(env.kc, NS, DATA, 300_000);
  if (condition(ds, "Ready")?.status !== "True") throw new Error(`DataSet not Ready: ${JSON.stringify(ds.status)}`);

  await applyObject(env.kc, trainingJob(NS, `${NAME}-a`, DATA, OUT, { ...MODEL, seed: 1 }));
  const first = await waitFinished(env, `${NAME}-a`, 600_000);
  if (finished(first) !== "Succeeded") throw new Error(`version A not trained: ${JSON.stringify(first.status)}`);
  const a = String(first.status.model.digest).replace(/^sha256:/, "");

  // Arm the watch before B starts; the pod's pid is looked up while it trains so the kill is one syscall.
  let pid: number | undefined;
  let podName = "";
  let killed: { tmp: string; at: number } | undefined;
  const watcher = watch(outDir, (_event, file) => {
    if (killed || pid === undefined || !file?.startsWith(".tmp-")) return;
    try {
      process.kill(-pid, "SIGKILL");
      killed = { tmp: file, at: performance.now() };
    } catch {
      // the pod ended meanwhile: the loop below sees the run finished unkilled
    }
  });
  await applyObject(env.kc, trainingJob(NS, NAME, DATA, OUT, { ...MODEL, seed: 2 }));
  const deadline = Date.now() + 600_000;
  try {
    while (!killed && Date.now() < deadline) {
      const running = (await trainingPods(env.kc, NS, NAME)).find((p) => p.status?.phase === "Running");
      if (running && containerPid(running) !== undefined) {
        pid = containerPid(running);
        podName = running.metadata?.name ?? "";
      }
      if (finished(await readObject(env.kc, tjRef(NAME)))) break;
      await sleep(killed ? 0 : 200);
    }
  } finally {
    watcher.close();
  }
  if (!killed || pid === undefined)
    throw new Error("the second run published without its pod being killed (within 600 s)");
  const killedPid = pid;
  while (alive(killedPid) && performance.now() - killed.at < 10_000) await sleep(50);
  // A dead process renames nothing: its temporary folder still there means the kill came mid-write.
  const midWrite = existsSync(join(outDir, killed.tmp));

  const problems: string[] = [];
  let checks = 0;
  // biome-ignore lint/suspicious/noExplicitAny: status read back
  let tj: Record<string, any>;
  for (;;) {
    const v = versions(outDir);
    checks++;
    if (!v.complete.includes(a)) problems.push(`version A (${a.slice(0, 12)}) not complete`);
    if (v.broken.length > 0) problems.push(`half-written version visible: ${v.broken.join(", ")}`);
    tj = await readObject(env.kc, tjRef(NAME));
    const named = String(tj.status?.model?.digest ?? "").replace(/^sha256:/, "");
    if (named && !versions(outDir).complete.includes(named))
      problems.push(`status.model names ${named} before it is complete`);
    if (finished(tj) || performance.now() - killed.at > 600_000 || problems.length > 0) break;
    await sleep(200);
  }
  const recovered = performance.now() - killed.at;
  const outcome = finished(tj) || "still running";
  const b = String(tj.status?.model?.digest ?? "").replace(/^sha256:/, "");
  const end = versions(outDir);
  if (outcome === "Succeeded" && !end.complete.includes(b)) problems.push(`version B (${b.slice(0, 12)}) not complete`);
  // The retry removes what the killed attempt left (publish.ts); left, it would hold a claim's space for good.
  const leftover = outcome === "Succeeded" && existsSync(join(outDir, killed.tmp));
  if (leftover) problems.push(`the killed attempt's ${killed.tmp} (half-written artifact) still there after B`);
  const pods = await trainingPods(env.kc, NS, NAME);
  const ok = midWrite && outcome === "Succeeded" && b !== a && problems.length === 0;
  const note =
    `SIGKILL to ${podName} (pid ${killedPid}) on inotify of ${killed.tmp}; ` +
    (midWrite
      ? "the folder was still there after the process died (killed mid-write)"
      : "the folder was already renamed (the kill missed the write)") +
    `; ${checks} looks at the output folder until the run ended; A ${a.slice(0, 12)} → B ${b.slice(0, 12) || "-"}; ` +
    `outcome ${outcome} after ${pods.length} pod(s); ${end.staging.filter((s) => s.startsWith(".tmp-")).length} ` +
    ".tmp-* folder(s) left at the end" +
    (problems.length ? `; problems: ${[...new Set(problems)].join("; ")}` : "") +
    (outcome === "Succeeded" ? "" : `; conditions: ${JSON.stringify(tj.status?.conditions ?? []).slice(0, 300)}`);
  return {
    fault: NAME,
    load: "1 TrainingJob (2 × 2048 units, 16 MB weights)",
    sent: undefined,
    failed: undefined,
    dataLost: problems.length === 0 ? "none" : "YES",
    recovery: outcome === "Succeeded" ? `${seconds(recovered)} (B Succeeded)` : outcome,
    // A kill that missed the write window tested nothing: said so, never a pass.
    verdict: ok ? "pass" : !midWrite && problems.length === 0 ? "not run" : "FAIL",
    note,
  };
}
