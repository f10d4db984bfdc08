import { describe, expect, it } from "vitest";
import { visibleLength } from "../cli/terminal.js";
import { BrailleCanvas } from "./braille.js";
import { pngSize, svgToPng } from "./png.js";
import { goalOf, isSearchFinished, searchCurvesModel, searchDoc, searchXMax, trialSeries } from "./search.js";
import { digitsSearch } from "./search-fixtures.js";
import { searchCurvesSvg } from "./search-svg.js";
import { bestLine, noSearchEpochLine, renderSearchCurves, searchHeaderLine, trialTable } from "./search-view.js";

const BRAILLE = /[\u2801-\u28ff]/gu;
const plain = { color: false, isTTY: false, rows: 24, columns: 100 };
const tty = { color: true, isTTY: true, rows: 50, columns: 120 };
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing the colour to read the text
const uncolour = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

const model = () => {
  const { search, jobs } = digitsSearch();
  return searchCurvesModel(search, jobs);
};

describe("the search curves model", () => {
  it("has one trial per index, its state, parameters and objective curve from its TrainingJob's history", () => {
    const m = model();
    expect(m.trials.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(m.trials.map((t) => t.state)).toEqual([
      "Succeeded",
      "Succeeded",
      "Succeeded",
      "Succeeded",
      "Succeeded",
      "StoppedEarly",
      "Succeeded",
      "StoppedEarly",
      "StoppedEarly",
      "StoppedEarly",
      "Running",
      "Failed",
    ]);
    const t5 = m.trials[5];
    expect(t5?.points.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(t5?.parameters).toEqual({ learningRate: "0.00013", batchSize: "64", units: "17", dropout: "0.35" });
    expect(t5?.reason).toMatch(/^median at epoch 3: /);
    expect(m.metric).toBe("val_accuracy");
    expect(m.goal).toBe("maximize");
    expect(m.counts).toEqual({ total: 12, running: 1, stoppedEarly: 4, succeeded: 6, failed: 1 });
    expect(m.maxTrials).toBe(16);
    expect(m.epochs).toBe(20);
  });

  it("marks the best trial from status.best, with its objective and parameters", () => {
    const m = model();
    expect(m.trials.filter((t) => t.best).map((t) => t.index)).toEqual([2]);
    expect(m.best?.trial).toBe("digits-search-2");
    expect(m.best?.parameters.learningRate).toBe("0.012");
    // the best is the highest final val_accuracy of the trials that ran to the end
    const done = m.trials.filter((t) => t.state === "Succeeded").map((t) => t.objective as number);
    expect(m.best?.objective).toBe(Math.max(...done));
  });

  it("draws no failed trial, the stopped-early ones dashed, and the best last (on top)", () => {
    const series = trialSeries(model());
    expect(series.map((s) => s.trial.index)).not.toContain(11);
    expect(series).toHaveLength(11);
    expect(series.at(-1)?.trial.index).toBe(2);
    expect(series.at(-1)?.style).toBe("green");
    expect(series.filter((s) => s.dashed).map((s) => s.trial.index)).toEqual([5, 7, 8, 9]);
    expect(series.filter((s) => s.dashed).every((s) => s.style === "gray")).toBe(true);
  });

  it("reads a trial the search has not recorded yet from its TrainingJob: annotation parameters, stopped-early annotation", () => {
    const { search, jobs } = digitsSearch();
    search.status.trialRecords = search.status.trialRecords.filter((r: { index: number }) => r.index !== 8);
    search.status.trialRecords = search.status.trialRecords.filter((r: { index: number }) => r.index !== 11);
    delete search.status.trials; // counts come from the trials then
    const m = searchCurvesModel(search, jobs);
    const t8 = m.trials.find((t) => t.index === 8);
    expect(t8?.state).toBe("StoppedEarly");
    expect(t8?.parameters).toEqual({ learningRate: "0.083", batchSize: "64", units: "20", dropout: "0.45" });
    expect(t8?.reason).toMatch(/^median at epoch 6/);
    expect(m.trials[11]?.reason).toBe("NaNLoss: the loss became NaN at epoch 2");
    expect(m.counts).toEqual({ total: 12, running: 1, stoppedEarly: 4, succeeded: 6, failed: 1 });
  });

  it("lets a terminal state on the TrainingJob win over a record that still says Running", () => {
    const { search, jobs } = digitsSearch();
    const job = jobs[10];
    if (!job) throw new Error("fixture");
    job.metadata.annotations = {
      ...(job.metadata.annotations as Record<string, string>),
      "liftoff.dev/stopped-early": "median at epoch 9: x",
    };
    expect(searchCurvesModel(search, jobs).trials[10]?.state).toBe("StoppedEarly");
    // one that reached its end before the suspension took effect counts as done, as the operator counts it
    job.status.phase = "Succeeded";
    expect(searchCurvesModel(search, jobs).trials[10]?.state).toBe("Succeeded");
  });

  it("takes only jobs named <search>-<index> (a cut label can match another search's)", () => {
    const { search, jobs } = digitsSearch();
    const stranger = structuredClone(jobs[0]);
    if (!stranger) throw new Error("fixture");
    stranger.metadata.name = "digits-search-x-0";
    const m = searchCurvesModel(search, [...jobs, stranger]);
    expect(m.trials).toHaveLength(12);
  });

  it("lists parameters in the spec's order, whatever order the API server sends the map in", () => {
    const { search, jobs } = digitsSearch();
    const sorted = (p: Record<string, string>) =>
      Object.fromEntries(Object.entries(p).sort(([a], [b]) => a.localeCompare(b)));
    for (const r of search.status.trialRecords) r.parameters = sorted(r.parameters);
    search.status.best.parameters = sorted(search.status.best.parameters);
    const m = searchCurvesModel(search, jobs);
    expect(Object.keys(m.trials[0]?.parameters ?? {})).toEqual(["learningRate", "batchSize", "units", "dropout"]);
    expect(Object.keys(m.best?.parameters ?? {})).toEqual(["learningRate", "batchSize", "units", "dropout"]);
  });

  it("derives the goal when none is given: lower is better for loss, mse, mae", () => {
    expect(goalOf("val_loss", undefined)).toBe("minimize");
    expect(goalOf("val_mae", undefined)).toBe("minimize");
    expect(goalOf("val_accuracy", undefined)).toBe("maximize");
    expect(goalOf("val_loss", "maximize")).toBe("maximize");
  });

  it("skips malformed records and history entries", () => {
    const { search, jobs } = digitsSearch();
    search.status.trialRecords.push({ index: "x" }, null);
    const first = jobs[0];
    if (!first) throw new Error("fixture");
    (first.status.history.epochs as unknown[]).push({ epoch: "y", metrics: { val_accuracy: 1 } }, null);
    const m = searchCurvesModel(search, jobs);
    expect(m.trials).toHaveLength(12);
    expect(m.trials[0]?.points).toHaveLength(20);
  });

  it("runs the x axis to the planned epochs while the search runs, to the last epoch once it ended", () => {
    const m = model();
    expect(searchXMax(m)).toBe(20);
    expect(isSearchFinished(m)).toBe(false);
    const { search, jobs } = digitsSearch();
    search.spec.template.spec.hyperparameters.epochs = 40;
    expect(searchXMax(searchCurvesModel(search, jobs))).toBe(40);
    search.status.phase = "Succeeded";
    expect(searchXMax(searchCurvesModel(search, jobs))).toBe(20);
  });

  it("-o json has every trial's curve by epoch", () => {
    const doc = searchDoc(model());
    expect(doc.objective).toEqual({ metric: "val_accuracy", goal: "maximize" });
    expect(doc.trialCurves[5]?.curve).toHaveLength(3);
    expect(doc.trialCurves[5]?.curve[0]).toEqual({ epoch: 1, value: expect.any(Number) });
    expect(doc.trialCurves[2]?.best).toBe(true);
    expect(doc.trialCurves[11]?.objective).toBeUndefined(); // a failed trial has no result
  });
});

describe("the search curves view", () => {
  it("has a header with the counts and the best objective, and the best trial's parameters", () => {
    const m = model();
    expect(searchHeaderLine({ color: false }, m)).toBe(
      `trainingsearch/digits-search  Running  best val_accuracy ${m.best?.objective} (trial 2, maximize)`,
    );
    expect(renderSearchCurves(plain, m)[1]).toBe("12/16 trials: 1 running, 4 stopped early, 6 done, 1 failed");
    expect(bestLine(m)).toBe("best trial digits-search-2: learningRate=0.012, batchSize=64, units=181, dropout=0.05");
  });

  it("draws one braille chart with a grouped legend and a table of every trial, the best starred", () => {
    const lines = renderSearchCurves(plain, model());
    const text = lines.join("\n");
    expect(text.match(BRAILLE)?.length).toBeGreaterThan(50);
    expect(text).toContain("━━ best (#2)   ━━ done   ━━ running   ┄┄ stopped early");
    expect(text).not.toContain("\u001b");
    const rows = trialTable({ color: false }, model());
    expect(rows[0]).toMatch(/^ +TRIAL +STATE +EPOCHS +VAL_ACCURACY +PARAMETERS$/);
    expect(rows).toHaveLength(13);
    expect(rows[3]).toMatch(/^★ 2 +Succeeded +20 +0\.97\d* +learningRate=0\.012/);
    expect(rows[6]).toMatch(/^ {2}5 +StoppedEarly +3 +0\.\d+ +learningRate=0\.00013.*\(median at epoch 3\)$/);
    expect(rows[12]).toMatch(/^ {2}11 +Failed +1 +learningRate=0\.099.*\(NaNLoss: /);
    for (const l of lines.slice(0, lines.indexOf(rows[0] as string))) expect(visibleLength(l)).toBeLessThanOrEqual(100);
  });

  it("fits a terminal's height with the table, and colours the best green, stopped ones gray", () => {
    const lines = renderSearchCurves(tty, model());
    expect(lines.length).toBeLessThan(tty.rows - 1);
    const text = lines.join("\n");
    expect(text).toContain("\u001b[32m"); // green: the best
    expect(text).toContain("\u001b[90m"); // gray: stopped early
    expect(uncolour(text)).toContain("best trial digits-search-2");
  });

  it("says in one line that no trial has finished an epoch", () => {
    const { search } = digitsSearch();
    const m = searchCurvesModel(search, []);
    expect(renderSearchCurves(plain, m)).toEqual([noSearchEpochLine(m)]);
    expect(noSearchEpochLine(m)).toMatch(/^trainingsearch\/digits-search \(Running, 12 trials\) has no trial with/);
  });
});

describe("dashed braille lines", () => {
  it("leaves gaps of 3 dots every 3 dots, carried across segments", () => {
    const solid = new BrailleCanvas(6, 1);
    const dashed = new BrailleCanvas(6, 1);
    solid.line(0, 0, 11, 0, 0);
    const end = dashed.line(0, 0, 5, 0, 0, 0);
    dashed.line(5, 0, 11, 0, 0, end);
    const dots = (c: BrailleCanvas) =>
      c
        .row(0)
        .chars.map((ch) => (ch === " " ? 0 : (ch.codePointAt(0) as number) - 0x2800))
        .map((b) => (b & 0x01 ? 1 : 0) + (b & 0x08 ? 1 : 0))
        .reduce((a, b) => a + b, 0);
    expect(dots(solid)).toBe(12);
    expect(dots(dashed)).toBe(6);
  });
});

describe("the search PNG", () => {
  it("has the header, a polyline per trial with two epochs or more, dashed ones for the stopped, and the legend", () => {
    const svg = searchCurvesSvg(model(), { width: 1000, height: 600 });
    expect(svg).toContain('width="1000" height="600"');
    expect(svg).toContain("trainingsearch/digits-search");
    expect(svg).toContain("best trial digits-search-2: learningRate=0.012");
    expect(svg.match(/<polyline /g)).toHaveLength(11);
    expect(svg.match(/<polyline [^>]*stroke-dasharray/g)).toHaveLength(4);
    expect(svg).toContain(">#2 best</text>");
    expect(svg).toContain("failed (1): not drawn");
  });

  it("is a PNG of the requested size", async () => {
    const out = await svgToPng(searchCurvesSvg(model(), { width: 800, height: 500 }));
    expect(pngSize(out.png)).toEqual({ width: 800, height: 500 });
    expect(out.png.length).toBeGreaterThan(5000);
  });
});
