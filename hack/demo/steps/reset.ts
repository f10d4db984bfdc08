// Step: remove the previous run's objects, so every run shows the whole path (data → model → endpoint) and a run
// stopped half-way (its Job failed without the operator) does not leave a Failed object behind.
import { deleteAndWait } from "../kube.js";
import type { ObjectRef } from "../report.js";
import { need, type Step } from "../steps.js";

/** All three go at once (each waits for its own finalizers): nothing of the previous run is kept, so no order is
 * needed, and the DataSet's cleanup Job runs while the deployment's pods stop. */
const KINDS: ObjectRef["kind"][] = ["ModelDeployment", "TrainingJob", "DataSet"];

export const resetStep: Step = {
  name: "reset",
  title: "delete the previous run's penguins objects, if any",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const gone = await Promise.all(
      KINDS.map((kind) => deleteAndWait(kc, { kind, namespace: ctx.options.namespace, name: "penguins" }, 60_000)),
    );
    const removed = KINDS.filter((_, i) => gone[i]);
    return removed.length > 0 ? `removed ${removed.join(", ")}` : "nothing to remove";
  },
};
