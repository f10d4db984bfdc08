// Finds container processes left behind by an earlier agent of the same cluster (it was SIGKILLed),
// by the LIFTOFF_NODE_AGENT_STATE marker in their environment, and ends their process groups.
import { readdirSync, readFileSync } from "node:fs";

export function reapOrphans(stateDir: string, log: (line: string) => void): number {
  const marker = `LIFTOFF_NODE_AGENT_STATE=${stateDir}`;
  let count = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue;
    }
    if (!env.split("\0").includes(marker)) continue;
    try {
      // Containers run as process-group leaders; their group goes with them.
      process.kill(-pid, "SIGKILL");
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        continue;
      }
    }
    count++;
  }
  if (count > 0) log(`ended ${count} container process(es) left by an earlier agent`);
  return count;
}
