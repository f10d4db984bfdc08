// `kubectl liftoff curves tsearch/NAME`: reads the TrainingSearch and, in one list call by its label, its trial
// TrainingJobs; draws each trial's objective per epoch (chart/search-view.ts), writes a PNG (chart/search-svg.ts), or
// prints every trial's curve (-o json|yaml); --watch redraws until the search ends.
import {
  isSearchFinished,
  LABEL_SEARCH,
  type SearchCurvesModel,
  searchCurvesModel,
  searchDoc,
} from "../chart/search.js";
import { renderSearchCurves } from "../chart/search-view.js";
import { PluginError } from "../cli/errors.js";
import type { Invocation } from "../cli/invocation.js";
import { LIFTOFF_KINDS, type ObjectRef } from "../cli/kinds.js";
import { toJson, toYaml } from "../cli/terminal.js";
import { type CurvesOptions, watchFrames, writePng } from "./curves-common.js";

export async function runSearch(inv: Invocation, ref: ObjectRef, opts: CurvesOptions): Promise<number> {
  const kube = await inv.kube();
  const read = async (): Promise<SearchCurvesModel> => {
    const search = await kube.getLiftoff(ref.kind, ref.name); // NotFound names the search
    // The operator cuts the label value at 63 characters (operator/src/trainingsearch/names.ts); the model keeps
    // only the jobs named <search>-<index>.
    const jobs = await kube.listLiftoff(
      LIFTOFF_KINDS.TrainingJob,
      kube.namespace,
      `${LABEL_SEARCH}=${ref.name.slice(0, 63)}`,
    );
    return searchCurvesModel(search, jobs);
  };
  const model = await read();
  if (inv.output === "json" || inv.output === "yaml") {
    inv.term.line(inv.output === "json" ? toJson(searchDoc(model)) : toYaml(searchDoc(model)));
    return 0;
  }
  if (opts.png !== undefined) {
    const last = Math.max(0, ...model.trials.map((t) => t.points.at(-1)?.x ?? 0));
    if (last === 0) {
      throw new PluginError(
        "NotApplicable",
        `trainingsearch/${model.name} has no trial with a finished epoch yet`,
        "try again after its first trial's first epoch",
      );
    }
    const { searchCurvesSvg } = await import("../chart/search-svg.js");
    await writePng(inv, opts.png, searchCurvesSvg(model, opts.size), `${model.counts.total} trials, epochs 1–${last}`);
    return 0;
  }
  const render = (m: SearchCurvesModel) => renderSearchCurves(inv.term, m);
  if (!opts.watch) {
    for (const l of render(model)) inv.term.line(l);
    return 0;
  }
  return watchFrames(inv, model, read, render, isSearchFinished);
}
