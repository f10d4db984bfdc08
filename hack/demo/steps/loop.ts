// Steps of `npm start -- --loop` (docs/loop.md): the penguins model served with spec.capture and spec.retrain
// (config/samples/penguins-loop), then concept drift (the labels follow a changed rule) with feedback, and the
// loop followed stage by stage until it decides: captured → retrained on original + captured rows → canary → judged
// on live feedback → promoted, without anyone touching the ModelDeployment's spec.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { CustomObjectsApi } from "@kubernetes/client-node";
import type { DataSet, TrainingJob } from "../../../operator/src/api/v1alpha1/index.js";
import { vaultRole } from "../../../operator/src/dataset/desired.js";
import { dataSetNames } from "../../../operator/src/dataset/names.js";
import { trainingVaultRole } from "../../../operator/src/trainingjob/desired.js";
import { trainingNames } from "../../../operator/src/trainingjob/names.js";
import { penguins, sampler } from "../concept-drift.js";
import { applyObject, deleteAndWait, readObject, waitForCondition } from "../kube.js";
import { burst, startTraffic, type Traffic } from "../loop-traffic.js";
import { pluginPathLines } from "../plugin.js";
import type { ObjectRef } from "../report.js";
import { loadLoopModelDeployment, loadSample, PENGUINS_CSV } from "../samples.js";
import { type DemoContext, need, type Step, StepFailure } from "../steps.js";
import { plantLoopRoles } from "../vault.js";
import { resetStep } from "./reset.js";

const exec = promisify(execFile);
const NAME = "penguins";
const LOOP_LABEL = `liftoff.dev/loop=${NAME}`;
/** The loop's children are <mdep>-loop-<n>: the first few get the template's Vault roles. */
const LOOP_NAMES = [1, 2, 3].map((n) => `${NAME}-loop-${n}`);
/** Drifted rows sent with their labels at once: the captured new rule must outweigh the 333 original rows. */
const DRIFTED_ROWS = 1500;
const DONE = ["Promoted", "RolledBack", "Failed"];

// biome-ignore lint/suspicious/noExplicitAny: objects read back from the API
type Obj = Record<string, any>;

const mdepRef = (ctx: DemoContext): ObjectRef => ({
  kind: "ModelDeployment",
  namespace: ctx.options.namespace,
  name: NAME,
});
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export const loopResetStep: Step = {
  name: "reset",
  title: "delete the previous run's penguins objects and its loop's DataSets and TrainingJobs, if any",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const summary = await resetStep.run(ctx);
    const api = kc.makeApiClient(CustomObjectsApi);
    let removed = 0;
    for (const kind of ["TrainingJob", "DataSet"] as const) {
      const plural = kind === "DataSet" ? "datasets" : "trainingjobs";
      const list = (await api.listNamespacedCustomObject({
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: ctx.options.namespace,
        plural,
        labelSelector: LOOP_LABEL,
      })) as { items: Obj[] };
      for (const o of list.items) {
        if (await deleteAndWait(kc, { kind, namespace: ctx.options.namespace, name: o.metadata.name }, 60_000))
          removed++;
      }
    }
    return removed > 0 ? `${summary}; ${removed} loop children` : summary;
  },
};

export const loopKeysStep: Step = {
  name: "loop-keys",
  title:
    "let the serving pods mint the capture's data keys, and the loop's DataSet and TrainingJob copies use the data key",
  async run(ctx) {
    if (!ctx.options.encryption) return "skipped: --no-encryption (the capture is not encrypted either)";
    const ns = ctx.options.namespace;
    const ds = loadSample("dataset", ns) as unknown as DataSet;
    const tj = loadSample("trainingjob", ns) as unknown as TrainingJob;
    // biome-ignore lint/suspicious/noExplicitAny: sample spec
    const apiKeys = (loadLoopModelDeployment(ns).spec as any).auth?.apiKeys as { path: string } | undefined;
    const transitKey = need(ds.spec.encryption?.transitKey, "the sample's encryption.transitKey");
    await plantLoopRoles(need(ctx.clusterName, "the local cluster"), {
      namespace: ns,
      transitKey,
      dataSet: { role: vaultRole(ds), serviceAccount: dataSetNames(NAME).serviceAccount },
      trainingJob: { role: trainingVaultRole(tj), serviceAccount: trainingNames(NAME).serviceAccount },
      serving: {
        role: `liftoff-${ns}-${NAME}`,
        serviceAccount: `${NAME}-runtime`,
        kvPaths: apiKeys ? [apiKeys.path] : [],
      },
      loopNames: LOOP_NAMES,
    });
    return `liftoff-${ns}-${NAME} may mint data keys of ${transitKey}; ${LOOP_NAMES.join(", ")} get the template's roles`;
  },
};

export const loopDeployStep: Step = {
  name: "deploy-loop",
  title: "apply the ModelDeployment with capture and retrain (config/samples/penguins-loop) and wait until it is Ready",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const mdep = loadLoopModelDeployment(ctx.options.namespace);
    // biome-ignore lint/suspicious/noExplicitAny: sample spec
    const spec = mdep.spec as any;
    // The demo's traffic comes in one burst: rows flushed every second are on the claim before the loop reads them.
    spec.capture.flushSeconds = 1;
    await applyObject(kc, mdep);
    await waitForCondition(kc, mdepRef(ctx), "Ready", { timeoutMs: 180_000 });
    return `capture to ${spec.capture.uri}; retrain when Degraded (live accuracy < ${spec.monitoring.alerts.minAccuracy})`;
  },
};

const target = (ctx: DemoContext) => {
  const key = ctx.results.get("apiKey") as string | undefined;
  return {
    kc: need(ctx.kc, "the cluster"),
    namespace: ctx.options.namespace,
    name: NAME,
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  };
};

export const conceptDriftStep: Step = {
  name: "concept-drift",
  title: "send penguins whose labels follow a changed rule (each species called by the next one's name), with feedback",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const t = target(ctx);
    const draw = sampler(penguins(readFileSync(PENGUINS_CSV, "utf8")), 28);
    await burst(t, draw, 100, "original");
    const calm = await waitMdep(kc, ctx, (m) => (m.status?.monitoring?.quality?.feedback ?? 0) >= 100, 60_000);
    ctx.log(`  live accuracy on the original rule: ${calm.status.monitoring.quality.accuracy}`);
    await burst(t, draw, DRIFTED_ROWS, "drifted");
    const traffic = startTraffic(t, { draw, rowsPerRequest: 6, intervalMs: 200, rule: "drifted" });
    ctx.results.set("loopTraffic", traffic);
    ctx.onCleanup("the drifted traffic", () => traffic.stop());
    const degraded = await waitMdep(
      kc,
      ctx,
      (m) => m.status?.conditions?.some((c: Obj) => c.type === "Degraded" && c.status === "True"),
      90_000,
    );
    const c = degraded.status.conditions.find((x: Obj) => x.type === "Degraded");
    return `${DRIFTED_ROWS} drifted rows with their labels, then 30 rows/s; Degraded=True ${c.reason}: ${c.message}`;
  },
};

async function waitMdep(
  kc: NonNullable<DemoContext["kc"]>,
  ctx: DemoContext,
  test: (m: Obj) => boolean,
  timeoutMs: number,
  onPoll?: (m: Obj) => void,
): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await readObject(kc, mdepRef(ctx)).catch(() => undefined);
    if (m) onPoll?.(m);
    if (m && test(m)) return m;
    if (Date.now() > deadline) throw new StepFailure(`not there after ${seconds(timeoutMs)}`, mdepRef(ctx));
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One line per loop stage as it changes (pure). */
export function stageLine(loop: Obj, elapsedMs: number): string {
  const at = `+${seconds(elapsedMs)}`.padStart(8);
  switch (loop.stage) {
    case "Retraining":
      return `${at}  Retraining  ${loop.trigger?.message ?? loop.trigger?.reason ?? ""}; DataSet ${loop.dataSet ?? "…"}, TrainingJob ${loop.trainingJob ?? "…"}`;
    case "Canary":
      return `${at}  Canary      candidate ${loop.candidate?.digest ?? "…"} serves beside the stable model`;
    case undefined:
      return `${at}  Watching`;
    default:
      return `${at}  ${loop.stage.padEnd(11)} ${loop.decision?.reason ?? ""}: ${loop.decision?.message ?? ""}`;
  }
}

export const loopStep: Step = {
  name: "loop",
  title: "follow the loop: capture → retrain on original + captured rows → canary → judged on live feedback → decision",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const started = Date.now();
    let last = "";
    const done = await waitMdep(
      kc,
      ctx,
      (m) => m.status?.loop?.iteration >= 1 && DONE.includes(m.status.loop.stage),
      900_000,
      (m) => {
        const l = m.status?.loop ?? {};
        const key = `${l.stage}/${l.dataSet}/${l.trainingJob}/${l.candidate?.digest}`;
        if (key !== last) ctx.log(`  ${stageLine(l, Date.now() - started)}`);
        last = key;
      },
    );
    const l = done.status.loop;
    ctx.results.set("loopTrainingJob", l.trainingJob);
    // A promotion rolls the stable Deployment to the new model: show the table once it serves.
    if (l.stage === "Promoted") await waitForCondition(kc, mdepRef(ctx), "Ready", { timeoutMs: 180_000 });
    const table = await exec(need(ctx.kubectl, "kubectl"), ["get", "mdep", NAME, "-n", ctx.options.namespace], {
      env: { ...process.env, KUBECONFIG: need(ctx.kubeconfigPath, "the kubeconfig") },
    });
    ctx.log(`  $ kubectl get mdep ${NAME} -n ${ctx.options.namespace}`);
    for (const line of table.stdout.trimEnd().split("\n")) ctx.log(`  ${line}`);
    const f = l.figures ?? {};
    const acc = (x: unknown) => (typeof x === "number" ? x.toFixed(3) : "—");
    ctx.log(
      `  figures: stable accuracy ${acc(f.stable?.accuracy)} over ${f.stable?.feedback} feedback, canary ${acc(f.canary?.accuracy)} over ${f.canary?.feedback}`,
    );
    ctx.log(`  test: ${l.decision?.test}`);
    ctx.log(
      `  lineage: data ${l.lineage?.dataDigest} (${l.lineage?.capturedRows} captured rows from ${l.lineage?.capturedVersions} versions) → model ${l.lineage?.modelDigest}`,
    );
    const traffic = ctx.results.get("loopTraffic") as Traffic | undefined;
    if (traffic) ctx.log(`  client: ${traffic.stats.requests} requests, ${traffic.stats.failures.length} failed`);
    if (l.stage !== "Promoted")
      throw new StepFailure(`the loop ended ${l.stage}: ${l.decision?.reason ?? ""}`, mdepRef(ctx));
    return `Promoted ${l.promoted?.trainingJob} (${l.promoted?.digest}) in ${seconds(Date.now() - started)}; spec.model unchanged`;
  },
};

export const loopLookAroundStep: Step = {
  name: "look-around",
  title: "print the commands to follow the loop with",
  async run(ctx) {
    const ns = ctx.options.namespace;
    const kubectl = need(ctx.kubectl, "kubectl");
    const tj = (ctx.results.get("loopTrainingJob") as string | undefined) ?? LOOP_NAMES[0];
    for (const l of [
      `export KUBECONFIG=${need(ctx.kubeconfigPath, "the kubeconfig")}`,
      ...pluginPathLines(),
      `kubectl liftoff tree mdep/${NAME} -n ${ns} -w   # the model, its loop's DataSet, TrainingJob and canary, live`,
      `kubectl liftoff curves tj/${tj} -n ${ns}   # the retraining's loss and metrics per epoch`,
      `kubectl liftoff drift mdep/${NAME} -n ${ns}     # the drifted features, and accuracy from feedback`,
      `kubectl liftoff retrain mdep/${NAME} -n ${ns}   # start the next loop now (docs/loop.md)`,
      `kubectl liftoff report mdep/${NAME} -n ${ns}    # a support bundle, secrets and pii values redacted`,
      `${kubectl} get mdep ${NAME} -n ${ns} -o jsonpath='{.status.loop}'   # trigger, figures, decision, lineage, history`,
      `${kubectl} get mdep ${NAME} -n ${ns} -o json | npx tsx hack/loop-promotion.ts   # the promotion as a spec.model patch for git (docs/gitops.md)`,
    ])
      ctx.log(`  ${l}`);
    return undefined;
  },
};
