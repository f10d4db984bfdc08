// The invariants of a search space that the CRD's schema and CEL rules do not hold (a layer index needs the
// template, a range's consistency reads several fields at once): each problem a sentence that names the field and
// what would fix it. The reconciler refuses the search with these before it creates a trial.

import { ACTIVATIONS, OPTIMIZERS } from "../../contract/training.js";
import type { NumericRange, ParameterSpec } from "./types.js";

type Kind = "float" | "int" | "categorical";

/** What each settable path takes: its kind, the least value (and the most), or the values it allows. */
const PATHS: {
  pattern: RegExp;
  kind: Kind;
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  allowed?: readonly string[];
}[] = [
  { pattern: /^hyperparameters\.learningRate$/, kind: "float", min: 0, exclusiveMin: true },
  { pattern: /^hyperparameters\.(batchSize|epochs)$/, kind: "int", min: 1 },
  { pattern: /^hyperparameters\.optimizer$/, kind: "categorical", allowed: OPTIMIZERS },
  { pattern: /^model\.layers\[\d+\]\.(units|filters)$/, kind: "int", min: 1 },
  { pattern: /^model\.layers\[\d+\]\.rate$/, kind: "float", min: 0, max: 0.99 },
  { pattern: /^model\.layers\[\d+\]\.activation$/, kind: "categorical", allowed: ACTIVATIONS },
];

function kindOf(spec: ParameterSpec): Kind {
  return "float" in spec ? "float" : "int" in spec ? "int" : "categorical";
}

function duplicates<T>(values: readonly T[]): T[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

function rangeProblems(field: string, range: NumericRange, int: boolean): string[] {
  const problems: string[] = [];
  const numbers = [range.min, range.max, range.step, ...(range.values ?? [])].filter((v) => v !== undefined);
  if (int && numbers.some((v) => !Number.isInteger(v)))
    problems.push(`${field}: an int parameter takes whole numbers only`);
  if (range.values !== undefined) {
    if ([range.min, range.max, range.step, range.log].some((v) => v !== undefined)) {
      problems.push(`${field}: give either values or a range (min, max, step, log), not both`);
    }
    if (range.values.length === 0) problems.push(`${field}.values: give at least one value`);
    for (const v of duplicates(range.values)) problems.push(`${field}.values: ${v} is listed twice`);
    return problems;
  }
  if (range.min === undefined || range.max === undefined)
    return [...problems, `${field}: a range needs min and max (or give values)`];
  if (range.min > range.max) problems.push(`${field}.min: ${range.min} is above max ${range.max}`);
  if (range.log && range.min <= 0) problems.push(`${field}.min: a log range needs min above 0, not ${range.min}`);
  if (range.step !== undefined && range.step <= 0) problems.push(`${field}.step: must be above 0, not ${range.step}`);
  // As Optuna: a step on a log scale has no single meaning (equal ratios or equal differences?).
  if (range.log && range.step !== undefined && !(int && range.step === 1))
    problems.push(`${field}: log and step cannot go together`);
  return problems;
}

function boundsProblems(field: string, range: NumericRange, path: string, rule: (typeof PATHS)[number]): string[] {
  const numbers = range.values ?? [range.min, range.max].filter((v) => v !== undefined);
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  const problems: string[] = [];
  if (rule.min !== undefined && (rule.exclusiveMin ? low <= rule.min : low < rule.min)) {
    problems.push(`${field}: ${path} takes values ${rule.exclusiveMin ? "above" : "from"} ${rule.min}, not ${low}`);
  }
  if (rule.max !== undefined && high > rule.max)
    problems.push(`${field}: ${path} takes values up to ${rule.max}, not ${high}`);
  return problems;
}

/** The problems of one parameter taken alone, its field `at` (spec.parameters[i]). */
function parameterProblems(spec: ParameterSpec, at: string, layerCount: number): string[] {
  const rule = PATHS.find((p) => p.pattern.test(spec.path));
  const kind = kindOf(spec);
  if (!rule) return [`${at}.path: ${spec.path} is not a path a parameter can set`];
  if (rule.kind !== kind)
    return [`${at}: ${spec.path} takes ${rule.kind === "int" ? "an" : "a"} ${rule.kind} parameter, not ${kind}`];
  const problems: string[] = [];
  const layer = /^model\.layers\[(\d+)\]/.exec(spec.path);
  if (layer && Number(layer[1]) >= layerCount) {
    problems.push(
      `${at}.path: layer ${layer[1]} is past the template's last layer (it has ${layerCount}, counted from 0)`,
    );
  }
  if ("categorical" in spec) {
    const values = spec.categorical.values;
    if (values.length === 0) problems.push(`${at}.categorical.values: give at least one value`);
    for (const v of duplicates(values)) problems.push(`${at}.categorical.values: ${v} is listed twice`);
    for (const v of values) {
      if (rule.allowed && !rule.allowed.includes(v)) {
        problems.push(`${at}.categorical.values: ${v} is not one of ${rule.allowed.join(", ")}`);
      }
    }
    return problems;
  }
  const field = `${at}.${kind}`;
  const range = "int" in spec ? spec.int : spec.float;
  const own = rangeProblems(field, range, kind === "int");
  // Bounds only mean something once the range itself reads.
  return [...problems, ...own, ...(own.length === 0 ? boundsProblems(field, range, spec.path, rule) : [])];
}

/** A spec invariant the CRD cannot check (e.g. a layer index past the template's layers); message names the field. */
export function spaceProblems(parameters: ParameterSpec[], layerCount: number): string[] {
  if (parameters.length === 0) return ["spec.parameters: give at least one parameter"];
  const names = parameters.map((p) => p.name);
  const paths = parameters.map((p) => p.path);
  return parameters.flatMap((spec, i) => {
    const at = `spec.parameters[${i}]`;
    const first = { name: names.indexOf(spec.name), path: paths.indexOf(spec.path) };
    return [
      ...(first.name !== i ? [`${at}.name: ${spec.name} is the name of parameters[${first.name}] already`] : []),
      ...(first.path !== i ? [`${at}.path: parameters[${first.path}] sets ${spec.path} already`] : []),
      ...parameterProblems(spec, at, layerCount),
    ];
  });
}
