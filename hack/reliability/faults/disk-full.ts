// Fault 6: the prepare pod's scratch volume fills up. Locally a pod's emptyDir volumes are folders under
// <state>/pods/<namespace>/<pod>/, so the suite mounts a 1 MiB tmpfs over <state>/pods/<namespace>/ of a namespace
// of its own (root only) before the DataSet is created: the prepare's DuckDB database and scratch files then meet
// ENOSPC, as a pod whose scratch volume is full does. Target: the DataSet ends Failed with reason NoSpace (not bad
// data, not an internal error), and no version folder is published, complete or half-written.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { clusterConfig } from "../../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { condition, deleteDataSet, waitSettled } from "../../../test/support/dataset.js";
import { DISK_NS, type Env } from "../env.js";
import { notRun, type Row, seconds } from "../table.js";
import { versions } from "../versions.js";
import { applyDataSet, writeSources } from "./datasets.js";
import { sleep } from "./serving.js";

const NAME = "disk-full";
const OUT = "out/disk-full";

function mount(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const res = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", dir], { encoding: "utf8" });
  return res.status === 0 ? undefined : (res.stderr || res.error?.message || `exit ${res.status}`).trim();
}

function unmount(dir: string): void {
  // Lazy: a pod folder still open somewhere does not keep the mount.
  spawnSync("umount", ["-l", dir]);
}

export async function diskFull(env: Env): Promise<Row> {
  const podsDir = join(clusterConfig(env.clusterName).stateDir, "pods", DISK_NS);
  if (!existsSync(join(clusterConfig(env.clusterName).stateDir, "pods"))) {
    return notRun(NAME, `the node agent's pod folder ${podsDir} is not where this fault expects it`);
  }
  const why = mount(podsDir);
  if (why) return notRun(NAME, `cannot mount a small tmpfs over ${podsDir} (needs root): ${why}`);
  const t0 = performance.now();
  try {
    const dataFolder = await claimHostFolder(env.kc, DISK_NS, "data");
    const src = writeSources(dataFolder, 200);
    await applyDataSet(env.kc, DISK_NS, NAME, src.large, OUT);
    const ds = await waitSettled(env.kc, DISK_NS, NAME, 600_000);
    const settled = performance.now() - t0;
    const failed = condition(ds, "Failed");
    const message = `${failed?.reason ?? ""}: ${failed?.message ?? ""}`;
    const clear = failed?.status === "True" && failed.reason === "NoSpace";
    const v = versions(join(dataFolder, OUT));
    const ok = clear && v.broken.length === 0 && v.complete.length === 0;
    return {
      fault: NAME,
      load: "1 DataSet (200k random penguin rows), 1 MiB scratch",
      sent: undefined,
      failed: undefined,
      dataLost: v.broken.length === 0 ? "none" : `half-written: ${v.broken.join(", ")}`,
      recovery: `${seconds(settled)} (to Failed)`,
      verdict: ok ? "pass" : "FAIL",
      note:
        `target: Failed with reason NoSpace, no version; got ` +
        `${failed?.status === "True" ? `Failed "${message.slice(0, 300)}"` : `Ready=${condition(ds, "Ready")?.status}`}; ` +
        `versions: ${v.complete.length} complete, ${v.broken.length} broken`,
    };
  } finally {
    await deleteDataSet(env.kc, DISK_NS, NAME).catch(() => undefined);
    // Its pods gone before the mount goes, so none writes to the folder underneath.
    const core = env.kc.makeApiClient(CoreV1Api);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await core.listNamespacedPod({ namespace: DISK_NS })).items.length > 0)
      await sleep(500);
    unmount(podsDir);
  }
}
