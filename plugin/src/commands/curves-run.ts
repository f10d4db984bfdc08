// `kubectl liftoff curves tj/NAME`: reads the TrainingJob, draws status.history (chart/view.ts), writes a PNG
// (chart/svg.ts + png.ts), or prints the history (-o json|yaml); --watch polls every 2 s and redraws until the job
// ends or the user presses Ctrl-C.
import { writeFile } from "node:fs/promises";
import { type CurvesModel, curvesModel, isFinished } from "../chart/curves.js";
import { parseSize } from "../chart/size.js";
import { DEFAULT_SIZE } from "../chart/svg.js";
import { renderCurves } from "../chart/view.js";
import { PluginError } from "../cli/errors.js";
import { boolFlag, type Invocation, stringFlag } from "../cli/invocation.js";
import { parseRef } from "../cli/kinds.js";
import type { KubeObject } from "../cli/kube.js";
import { toJson, toYaml } from "../cli/terminal.js";

const POLL_MS = 2000;

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

export async function run(inv: Invocation): Promise<number> {
  const { ref, used } = parseRef(inv.positionals, {
    command: "curves",
    defaultKind: "TrainingJob",
    allowed: ["TrainingJob"],
  });
  if (inv.positionals.length > used) {
    throw new PluginError("Usage", `unexpected argument "${inv.positionals[used]}"`, "name one TrainingJob");
  }
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
  const kube = await inv.kube();
  const read = async () =>
    curvesModel((await kube.getLiftoff(ref.kind, ref.name)) as KubeObject & Parameters<typeof curvesModel>[0]);
  const model = await read();

  if (inv.output === "json" || inv.output === "yaml") {
    inv.term.line(inv.output === "json" ? toJson(historyDoc(model)) : toYaml(historyDoc(model)));
    return 0;
  }
  if (png !== undefined) {
    if (model.points.length === 0) {
      throw new PluginError(
        "NotApplicable",
        `trainingjob/${model.name} has not finished an epoch yet`,
        "try again after its first epoch",
      );
    }
    const [{ curvesSvg }, { svgToPng }] = await Promise.all([import("../chart/svg.js"), import("../chart/png.js")]);
    const out = await svgToPng(curvesSvg(model, size));
    await writeFile(png, out.png).catch((err: Error) => {
      throw new PluginError(
        "BadInput",
        `cannot write ${png}: ${err.message}`,
        "pass a --png path in a folder you can write to",
      );
    });
    inv.term.note(`wrote ${png} (${out.width}x${out.height}, epochs 1–${model.points.at(-1)?.epoch})`);
    return 0;
  }
  if (!watch) {
    for (const l of renderCurves(inv.term, model)) inv.term.line(l);
    return 0;
  }
  return watchCurves(inv, read, model);
}

/** Redraws on each change (in place on a TTY, frames a blank line apart otherwise) until the job ends or Ctrl-C. */
async function watchCurves(inv: Invocation, read: () => Promise<CurvesModel>, first: CurvesModel): Promise<number> {
  let model = first;
  let shown = "";
  for (;;) {
    const frame = renderCurves(inv.term, model).join("\n");
    if (frame !== shown) {
      if (inv.term.isTTY) inv.term.write(`\u001b[H\u001b[2J${frame}\n`);
      else inv.term.write(`${shown ? "\n" : ""}${frame}\n`);
      shown = frame;
    }
    if (isFinished(model) || inv.isStopped()) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      inv.stopped,
      new Promise<void>((r) => {
        timer = setTimeout(r, POLL_MS);
      }),
    ]);
    clearTimeout(timer);
    if (inv.isStopped()) return 0;
    model = await read();
  }
}
