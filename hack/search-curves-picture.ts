// Draws docs/images/curves-search.png, the picture of `kubectl liftoff curves tsearch/NAME --png` in
// docs/kubectl-plugin.md, from the example search in plugin/src/chart/search-fixtures.ts (made-up curves of the shape
// a digits search gives) through the same model, SVG and renderer as the command. Run: npx tsx hack/search-curves-picture.ts [FILE]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { svgToPng } from "../plugin/src/chart/png.js";
import { searchCurvesModel } from "../plugin/src/chart/search.js";
import { digitsSearch } from "../plugin/src/chart/search-fixtures.js";
import { searchCurvesSvg } from "../plugin/src/chart/search-svg.js";

const file = process.argv[2] ?? join(import.meta.dirname, "..", "docs", "images", "curves-search.png");
const { search, jobs } = digitsSearch();
const out = await svgToPng(searchCurvesSvg(searchCurvesModel(search, jobs)));
writeFileSync(file, out.png);
console.log(`wrote ${file} (${out.width}x${out.height})`);
