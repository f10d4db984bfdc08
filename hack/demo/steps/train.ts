// Step: the TrainingJob, with a live progress bar drawn from its status.progress.
import { applyObject, readObject, waitForCondition } from "../kube.js";
import { type Progress, ProgressPrinter } from "../progress-bar.js";
import { loadSample } from "../samples.js";
import { need, type Step } from "../steps.js";

export const trainStep: Step = {
  name: "train",
  title: "apply the TrainingJob (config/samples/penguins/trainingjob.yaml) and follow its progress",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const tj = loadSample("trainingjob", ctx.options.namespace, ctx.options.storage);
    await applyObject(kc, tj);
    const ref = { kind: "TrainingJob", namespace: tj.metadata.namespace, name: tj.metadata.name } as const;
    const tty = ctx.tty ? (t: string) => process.stderr.write(t) : undefined;
    const bar = new ProgressPrinter(ctx.log, tty);
    const seen: Progress[] = [];
    try {
      await waitForCondition(kc, ref, "Succeeded", {
        timeoutMs: 600_000,
        intervalMs: 500,
        onPoll: (obj) => {
          const p = obj.status?.progress as Progress | undefined;
          if (p && p.epoch !== seen.at(-1)?.epoch) seen.push(p);
          bar.update(p);
        },
      });
    } finally {
      bar.done();
    }
    const done = await readObject(kc, ref);
    ctx.results.set("trainingjob", done);
    ctx.results.set("progress", seen);
    const m = done.status?.finalMetrics ?? {};
    const metrics = Object.entries(m)
      .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
      .join(", ");
    return `${done.status?.progress?.epoch ?? "?"} epochs; ${metrics || "no final metrics"}; model ${done.status?.model?.uri}`;
  },
};
