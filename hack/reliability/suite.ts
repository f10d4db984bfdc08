// Runs the chosen faults in order and prints the table. A fault that throws is a FAIL with its error (never a
// pass); a fault this machine cannot do says "not run" and why. Ctrl-C stops what the suite started.
import { describeRun, startRun } from "../../bench/lib/machine.js";
import { buildStep } from "../demo/steps/prepare.js";
import type { DemoContext } from "../demo/steps.js";
import type { FaultName, ReliabilityOptions } from "./cli.js";
import { type Env, setUp } from "./env.js";
import { controlPlane } from "./faults/control-plane.js";
import { diskFull } from "./faults/disk-full.js";
import { fuzz } from "./faults/fuzz.js";
import { killPod } from "./faults/kill-pod.js";
import { prepareKill } from "./faults/prepare-kill.js";
import { rollingUpdate } from "./faults/rolling-update.js";
import { soak } from "./faults/soak.js";
import { trainingKill } from "./faults/training-kill.js";
import { vaultSeal } from "./faults/vault-seal.js";
import { vaultSealTraining } from "./faults/vault-seal-training.js";
import { exitCode, notRun, type Row, renderTable } from "./table.js";

type Fault = (env: Env) => Promise<Row>;

/** Faults that need the cluster; fuzz runs against a runtime process of its own. */
const CLUSTER_FAULTS: Partial<Record<FaultName, Fault>> = {
  "rolling-update": rollingUpdate,
  "kill-pod": killPod,
  "control-plane": controlPlane,
  "vault-seal": vaultSeal,
  "prepare-kill": prepareKill,
  "disk-full": diskFull,
  "training-kill": trainingKill,
  "vault-seal-training": vaultSealTraining,
  soak,
};

export async function runSuite(options: ReliabilityOptions, log: (l: string) => void): Promise<number> {
  const run = startRun();
  // The serving pods and the fuzzed process run runtime/dist: compile it when a source changed (as npm start does).
  await buildStep.run({} as DemoContext);
  const rows: Row[] = [];
  let env: Env | undefined;
  const stop = () => {
    log("reliability: interrupted: stopping what the suite started ...");
    void (env?.cleanup() ?? Promise.resolve()).then(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    for (const name of options.only) {
      const started = Date.now();
      log(`reliability: ${name} ...`);
      let row: Row;
      try {
        if (name === "fuzz") row = await fuzz();
        else {
          const fault = CLUSTER_FAULTS[name];
          if (!fault) row = notRun(name, "not written yet");
          else {
            env ??= await setUp(options, log);
            row = await fault(env);
          }
        }
      } catch (err) {
        row = { ...notRun(name, `error: ${(err as Error).message}`), verdict: "FAIL" };
      }
      rows.push(row);
      log(`reliability: ${name}: ${row.verdict} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${row.note}`);
    }
  } finally {
    await env?.cleanup();
  }
  console.log(renderTable(rows));
  console.log("");
  console.log(describeRun(run, `npm run reliability -- ${process.argv.slice(2).join(" ")}`.trim()));
  return exitCode(rows);
}
