// `kubectl liftoff curves tj/NAME`: reads the TrainingJob, draws status.history (chart/view.ts), writes a PNG
// (chart/svg.ts + png.ts), or prints the history (-o json|yaml); --watch polls every 2 s and redraws until the job
// ends or the user presses Ctrl-C. `curves tsearch/NAME` goes to curves-search-run.ts with the same flags.
import { type CurvesModel, curvesModel, isFinished } from "../chart/curves.js";
import { parseSize } from "../chart/size.js";
import { DEFAULT_SIZE } from "../chart/svg.js";
import { renderCurves } from "../chart/view.js";
import { PluginError } from "../cli/errors.js";
import { boolFlag, type Invocation, stringFlag } from "../cli/invocation.js";
import { parseRef } from "../cli/kinds.js";
import type { KubeObject } from "../cli/kube.js";
import { toJson, toYaml } from "../cli/terminal.js";
import { type CurvesOptions, watchFrames, writePng } from "./curves-common.js";

/** The machine view: the job, where it is, and the kept epochs. */
function historyDoc(m: CurvesModel) {
  return {
    name: m.name,
    namespace: m.namespace,
    phase: m.phase,
    epoch: m.epoch,
    epochs: m.epochs,
    stride: m.stride,
    history: m.points,
  };
}

function options(inv: Invocation): CurvesOptions {
  const png = stringFlag(inv.flags, "png");
  const sizeText = stringFlag(inv.flags, "size");
  const size = sizeText !== undefined ? parseSize(sizeText) : DEFAULT_SIZE;
  if (sizeText !== undefined && png === undefined)
    throw new PluginError("Usage", "--size sets the PNG's size", "add --png FILE");
  const watch = boolFlag(inv.flags, "watch");
  if (watch && (png !== undefined || inv.output === "json" || inv.output === "yaml")) {
    throw new PluginError("Usage", "--watch draws in the terminal", "drop --png and -o to watch, or drop --watch");
  }
  if (inv.output === "wide") throw new PluginError("Usage", "curves has no wide view", "use -o json or -o yaml");
  return { ...(png !== undefined ? { png } : {}), size, watch };
}

export async function run(inv: Invocation): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: "curves",
    defaultKind: "TrainingJob",
    allowed: ["TrainingJob", "TrainingSearch"],
  });
  if (inv.positionals.length > used) {
    throw new PluginError(
      "Usage",
      `unexpected argument "${inv.positionals[used]}"`,
      "name one TrainingJob or TrainingSearch",
    );
  }
  const opts = options(inv);
  if (ref.kind.kind === "TrainingSearch") return (await import("./curves-search-run.js")).runSearch(inv, ref, opts);
  const kube = await inv.kube();
  const read = async () =>
    curvesModel((await kube.getLiftoff(ref.kind, ref.name)) as KubeObject & Parameters<typeof curvesModel>[0]);
  const model = await read();

  if (inv.output === "json" || inv.output === "yaml") {
    inv.term.line(inv.output === "json" ? toJson(historyDoc(model)) : toYaml(historyDoc(model)));
    return 0;
  }
  if (opts.png !== undefined) {
    if (model.points.length === 0) {
      throw new PluginError(
        "NotApplicable",
        `trainingjob/${model.name} has not finished an epoch yet`,
        "try again after its first epoch",
      );
    }
    const { curvesSvg } = await import("../chart/svg.js");
    await writePng(inv, opts.png, curvesSvg(model, opts.size), `epochs 1–${model.points.at(-1)?.epoch}`);
    return 0;
  }
  const render = (m: CurvesModel) => renderCurves(inv.term, m);
  if (!opts.watch) {
    for (const l of render(model)) inv.term.line(l);
    return 0;
  }
  return watchFrames(inv, model, read, render, isFinished);
}
