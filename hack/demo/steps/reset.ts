// Step: remove the previous run's objects, so every run shows the whole path (data → model → endpoint) and a run
// stopped half-way (its Job failed without the operator) does not leave a Failed object behind.
import { deleteAndWait } from "../kube.js";
import type { ObjectRef } from "../report.js";
import { need, type Step } from "../steps.js";

/** Dependents first: the deployment, then the training, then the data. */
const KINDS: ObjectRef["kind"][] = ["ModelDeployment", "TrainingJob", "DataSet"];

export const resetStep: Step = {
  name: "reset",
  title: "delete the previous run's penguins objects, if any",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const removed: string[] = [];
    for (const kind of KINDS) {
      const ref = { kind, namespace: ctx.options.namespace, name: "penguins" };
      if (await deleteAndWait(kc, ref, 60_000)) removed.push(kind);
    }
    return removed.length > 0 ? `removed ${removed.join(", ")}` : "nothing to remove";
  },
};
