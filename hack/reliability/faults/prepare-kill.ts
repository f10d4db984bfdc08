// Fault 5: a prepare pod SIGKILLed mid-write. A DataSet is prepared once from the sample (version A), then pointed
// at 200k random rows; as soon as that run's staging folder holds a file (it is writing), its pod's process
// group gets SIGKILL. Target: while the Job retries and until it finishes, version A stays complete and is what
// status.output names, no visible folder is a half-written version, and the retry publishes a complete version B.
// Recovery time: from the kill until the DataSet is Ready with B.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { condition, getDataSet, waitSettled } from "../../../test/support/dataset.js";
import { deleteAndWait } from "../../demo/kube.js";
import { type Env, NS } from "../env.js";
import { type Row, seconds } from "../table.js";
import { versions } from "../versions.js";
import { applyDataSet, jobsOf, podsOfJob, writeSources } from "./datasets.js";
import { containerPid, sleep } from "./serving.js";

const NAME = "prepare-kill";
const OUT = "out/prepare-kill";

function writing(outDir: string): boolean {
  const v = versions(outDir);
  return v.staging.some((s) => {
    try {
      return readdirSync(join(outDir, s), { recursive: true }).length > 0;
    } catch {
      return false;
    }
  });
}

export async function prepareKill(env: Env): Promise<Row> {
  const outDir = join(env.dataFolder, OUT);
  // A fresh DataSet each run: one left from an earlier run would already be prepared.
  await deleteAndWait(env.kc, { kind: "DataSet", namespace: NS, name: NAME }, 120_000);
  const src = writeSources(env.dataFolder, 200);
  await applyDataSet(env.kc, NS, NAME, src.small, OUT);
  const first = await waitSettled(env.kc, NS, NAME, 300_000);
  if (condition(first, "Ready")?.status !== "True")
    throw new Error(`version A not prepared: ${JSON.stringify(first.status?.conditions)}`);
  const a = String(first.status.digest).replace(/^sha256:/, "");
  const outputA = first.status.output;

  await applyDataSet(env.kc, NS, NAME, src.large, OUT);
  // Until a staging folder has a file in it, then kill that run's pod.
  const deadline = Date.now() + 300_000;
  let killed: { pod: string; pid: number; at: number } | undefined;
  while (!killed && Date.now() < deadline) {
    if (writing(outDir)) {
      for (const job of await jobsOf(env.kc, NS, NAME)) {
        for (const pod of await podsOfJob(env.kc, NS, job)) {
          const pid = containerPid(pod);
          if (pid !== undefined && pod.status?.phase === "Running") {
            process.kill(-pid, "SIGKILL");
            killed = { pod: pod.metadata?.name ?? "", pid, at: performance.now() };
          }
        }
      }
    }
    if (!killed) await sleep(20);
  }
  if (!killed) throw new Error("the second prepare never reached its write phase with a running pod (within 300 s)");

  // Watch what a reader sees until the DataSet settles.
  const problems: string[] = [];
  let checks = 0;
  let settled: Awaited<ReturnType<typeof getDataSet>>;
  for (;;) {
    const v = versions(outDir);
    checks++;
    if (!v.complete.includes(a)) problems.push(`version A (${a.slice(0, 12)}) not complete`);
    if (v.broken.length > 0) problems.push(`half-written version visible: ${v.broken.join(", ")}`);
    settled = await getDataSet(env.kc, NS, NAME);
    const current = settled?.status?.observedGeneration === settled?.metadata?.generation;
    const ready = current && condition(settled ?? {}, "Ready")?.status === "True";
    const failed = current && condition(settled ?? {}, "Failed")?.status === "True";
    if (!ready && settled?.status?.output !== outputA)
      problems.push(`status.output is ${settled?.status?.output} before B is ready`);
    if (ready || failed || performance.now() - killed.at > 300_000 || problems.length > 0) break;
    await sleep(200);
  }
  const recovered = performance.now() - killed.at;
  const b = String(settled?.status?.digest ?? "").replace(/^sha256:/, "");
  const ready = condition(settled ?? {}, "Ready")?.status === "True" && b !== a;
  const end = versions(outDir);
  if (ready && !end.complete.includes(b)) problems.push(`version B (${b.slice(0, 12)}) not complete`);
  const ok = ready && problems.length === 0;
  return {
    fault: "prepare-kill",
    load: "1 DataSet (200k random penguin rows)",
    sent: undefined,
    failed: undefined,
    dataLost: problems.length === 0 ? "none" : "YES",
    recovery: ready ? `${seconds(recovered)} (B Ready)` : "not Ready",
    verdict: ok ? "pass" : "FAIL",
    note:
      `SIGKILL to ${killed.pod} (pid ${killed.pid}) while its staging folder held files; ${checks} looks at the ` +
      `output folder until it settled; A ${a.slice(0, 12)} → B ${b.slice(0, 12) || "-"}; Jobs: ` +
      `${(await jobsOf(env.kc, NS, NAME)).length}` +
      (problems.length ? `; problems: ${[...new Set(problems)].join("; ")}` : "") +
      (ready ? "" : `; conditions: ${JSON.stringify(settled?.status?.conditions ?? []).slice(0, 300)}`),
  };
}
