import { describe, expect, it } from "vitest";
import { visibleLength } from "../cli/terminal.js";
import { BrailleCanvas, brailleChart, yRange } from "./braille.js";
import { bestOf, curvesModel, panelKind } from "./curves.js";
import { formatNumber } from "./numbers.js";
import { pngSize, svgToPng } from "./png.js";
import { parseSize } from "./size.js";
import { curvesSvg, ticks } from "./svg.js";
import { headerLine, noEpochLine, renderCurves } from "./view.js";

const BRAILLE = /[\u2801-\u28ff]/gu;
const plain = { color: false, isTTY: false, rows: 24, columns: 80 };
const colour = { color: true, isTTY: true, rows: 40, columns: 100 };

function job(n: number, phase = "Running", planned = 20) {
  const epochs = Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    metrics: { val_loss: 1.2 / (i + 1), val_accuracy: 0.5 + (0.45 * i) / Math.max(1, n - 1) },
  }));
  return {
    metadata: { name: "penguins", namespace: "demo" },
    status: { phase, progress: { epoch: n, epochs: planned }, history: { stride: 1, epochs } },
  };
}

describe("braille canvas", () => {
  it("sets the dots of a cell by Unicode's numbering: 2 columns × 4 rows", () => {
    const c = new BrailleCanvas(1, 1);
    c.set(0, 0, 0);
    expect(c.row(0).chars).toEqual(["\u2801"]);
    c.set(1, 3, 0);
    expect(c.row(0).chars).toEqual(["\u2881"]);
    c.set(5, 0, 0); // outside: ignored
    expect(c.row(0).chars).toEqual(["\u2881"]);
  });

  it("draws a diagonal line through every cell on it, owned by its series", () => {
    const c = new BrailleCanvas(3, 2);
    c.line(0, 0, 5, 7, 1);
    expect([0, 1].map((r) => c.row(r).chars.filter((ch) => ch !== " ").length)).toEqual([2, 2]);
    expect(c.row(0).owners[0]).toBe(1);
    expect(c.row(1).owners[0]).toBe(-1);
  });
});

describe("braille chart", () => {
  const series = [
    { name: "loss", style: "cyan" as const, points: [1, 2, 3, 4].map((x) => ({ x, y: 1 / x })) },
    { name: "val_loss", style: "magenta" as const, points: [1, 2, 3, 4].map((x) => ({ x, y: 1.5 / x })) },
  ];

  it("labels the y axis max, mid and min, the x axis first and last epoch, and has a legend", () => {
    const lines = brailleChart(plain, series, { width: 60, height: 8 });
    expect(lines).toHaveLength(8 + 3);
    expect(lines[0]).toMatch(/^ *1\.5 ┤/);
    expect(lines[3]).toMatch(/^ *0\.875 ┤/); // (0.25 + 1.5) / 2
    expect(lines[7]).toMatch(/^ *0\.25 ┤/);
    expect(lines[8]).toMatch(/└─+$/);
    expect(lines[9]?.trim()).toMatch(/^1 +4$/);
    expect(lines[10]).toContain("━━ loss");
    expect(lines[10]).toContain("━━ val_loss");
    for (const l of lines) expect(visibleLength(l)).toBeLessThanOrEqual(60);
    expect(lines.join("\n").match(BRAILLE)?.length).toBeGreaterThan(10);
  });

  it("puts the highest point on the top row and the lowest on the bottom row", () => {
    const lines = brailleChart(plain, [series[1] as (typeof series)[1]], { width: 40, height: 6 });
    const plot = lines.slice(0, 6).map((l) => l.slice(l.indexOf("┤") + 1));
    expect(plot[0]?.trimEnd().length).toBeGreaterThan(0);
    expect(plot[0]?.[0]).toMatch(BRAILLE); // epoch 1 is the maximum: top left
    expect(plot[5]?.trimEnd().at(-1)).toMatch(BRAILLE); // epoch 4 the minimum: bottom right
  });

  it("colours each series' cells only when colour is on", () => {
    const on = brailleChart({ color: true }, series, { width: 60, height: 8 }).join("\n");
    const off = brailleChart({ color: false }, series, { width: 60, height: 8 }).join("\n");
    expect(on).toContain("\u001b[36m");
    expect(on).toContain("\u001b[35m");
    expect(off).not.toContain("\u001b[");
  });

  it("widens a flat series' range so it still draws", () => {
    expect(yRange([{ name: "a", style: "cyan", points: [{ x: 1, y: 2 }] }])).toEqual([1.8, 2.2]);
    expect(yRange([])).toEqual([0, 1]);
  });
});

describe("curves model and view", () => {
  it("splits loss-like and score-like metrics into two panels", () => {
    const m = curvesModel(job(5));
    expect(m.panels.map((p) => [p.kind, p.series.map((s) => s.name)])).toEqual([
      ["loss", ["loss", "val_loss"]],
      ["score", ["val_accuracy"]],
    ]);
    expect(panelKind("val_mae")).toBe("loss");
    expect(panelKind("val_auc")).toBe("score");
  });

  it("names the best validation figure: a score at its maximum, else the loss at its minimum", () => {
    expect(curvesModel(job(5)).best).toEqual({ metric: "val_accuracy", value: 0.95, epoch: 5 });
    expect(
      bestOf([
        { epoch: 1, metrics: { val_loss: 0.3 } },
        { epoch: 2, metrics: { val_loss: 0.4 } },
      ]),
    ).toEqual({
      metric: "val_loss",
      value: 0.3,
      epoch: 1,
    });
  });

  it("draws a header and both panels, fitting the terminal's width", () => {
    const lines = renderCurves(colour, curvesModel(job(8)));
    expect(lines[0]).toContain("trainingjob/penguins");
    expect(headerLine({ color: false }, curvesModel(job(8)))).toBe(
      "trainingjob/penguins  Running  epoch 8/20  best val_accuracy 0.95 (epoch 8)",
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the colour to read the text
    const text = lines.join("\n").replace(/\u001b\[[0-9;]*m/g, "");
    expect(text).toContain("━━ val_accuracy");
    expect(text.match(BRAILLE)?.length).toBeGreaterThan(20);
    for (const l of lines.slice(1)) expect(visibleLength(l)).toBeLessThanOrEqual(colour.columns);
    expect(lines.length).toBeLessThan(colour.rows - 1); // a frame and the prompt after it fit: the header stays
    // a running job's x axis runs to the epochs planned, so the curve grows into it
    expect(lines.some((l) => /^ +1 +20$/.test(l))).toBe(true);
  });

  it("has no escape sequences when colour is off (not a TTY, NO_COLOR)", () => {
    const text = renderCurves(plain, curvesModel(job(8))).join("\n");
    expect(text).not.toContain("\u001b");
    expect(text.match(BRAILLE)?.length).toBeGreaterThan(20);
  });

  it("says in one line that a job has not finished an epoch", () => {
    const m = curvesModel(job(0));
    expect(renderCurves(plain, m)).toEqual([noEpochLine(m)]);
    expect(noEpochLine(m)).toMatch(/has not finished an epoch/);
  });

  it("skips malformed history entries", () => {
    const tj = job(2);
    (tj.status.history.epochs as unknown[]).push({ epoch: "x" }, null);
    expect(curvesModel(tj).points).toHaveLength(2);
  });

  it("formats labels to 4 significant digits", () => {
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(0.00001234)).toBe("1.23e-5");
    expect(formatNumber(0)).toBe("0");
  });
});

describe("PNG", () => {
  it("chooses round ticks", () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(1, 20, 8)).toEqual([5, 10, 15, 20]);
  });

  it("the SVG has the header, a polyline per series and the legend", () => {
    const svg = curvesSvg(curvesModel(job(6)), { width: 800, height: 500 });
    expect(svg).toContain('width="800" height="500"');
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg).toContain(">val_accuracy</text>");
    expect(svg).toContain("trainingjob/penguins");
  });

  it("is a PNG of the requested size (signature and IHDR)", async () => {
    const out = await svgToPng(curvesSvg(curvesModel(job(6)), { width: 640, height: 400 }));
    expect(pngSize(out.png)).toEqual({ width: 640, height: 400 });
    expect(out.png.length).toBeGreaterThan(5000); // text and lines drawn, not an empty frame
  });

  it("rejects what is not a PNG, and a size that is not WxH", () => {
    expect(pngSize(new TextEncoder().encode("GIF89a............................"))).toBeUndefined();
    expect(parseSize("1600x900")).toEqual({ width: 1600, height: 900 });
    expect(() => parseSize("big")).toThrow(/not a picture size/);
    expect(() => parseSize("10x10")).toThrow(/not a picture size/);
  });
});
