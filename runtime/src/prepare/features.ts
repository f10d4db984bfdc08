// Fitted features and their SQL (pure): the fitted parameters come from the training split's statistics, and the
// same FeatureTransform list goes into preprocessing.json, so serving applies exactly what training saw.
import type { ColumnStats, FeatureTransform } from "../contract/artifacts.js";
import type { FeaturePlan } from "./plan.js";
import { ident, lit } from "./sql.js";

export function fitFeatures(
  plans: FeaturePlan[],
  stats: Map<string, ColumnStats>,
  vocabularies: Map<string, string[]>,
): FeatureTransform[] {
  return plans.map((p): FeatureTransform => {
    const s = stats.get(p.column);
    switch (p.kind) {
      case "standardize":
        return { kind: "standardize", column: p.column, mean: s?.mean ?? 0, std: s?.std ?? 0 };
      case "minMax":
        return { kind: "minMax", column: p.column, min: s?.min ?? 0, max: s?.max ?? 0 };
      case "oneHot":
        return { kind: "oneHot", column: p.column, vocabulary: vocabularies.get(p.column) ?? [] };
      default:
        return { kind: p.kind, column: p.column };
    }
  });
}

export function featureNames(features: FeatureTransform[]): string[] {
  return features.flatMap((f) => (f.kind === "oneHot" ? f.vocabulary.map((v) => `${f.column}=${v}`) : [f.column]));
}

/** One SELECT item per model input, named by featureNames, DOUBLE each. */
export function featureSql(features: FeatureTransform[]): string[] {
  return features.flatMap((f) => {
    const c = ident(f.column);
    switch (f.kind) {
      case "identity":
        return [`CAST(${c} AS DOUBLE) AS ${c}`];
      case "boolean":
        return [`CASE WHEN ${c} THEN 1.0 ELSE 0.0 END AS ${c}`];
      case "standardize":
        return [f.std > 0 ? `(CAST(${c} AS DOUBLE) - ${f.mean}) / ${f.std} AS ${c}` : `0.0 AS ${c}`];
      case "minMax":
        return [f.max > f.min ? `(CAST(${c} AS DOUBLE) - ${f.min}) / ${f.max - f.min} AS ${c}` : `0.0 AS ${c}`];
      default:
        return f.vocabulary.map(
          (v) => `CASE WHEN CAST(${c} AS VARCHAR) = ${lit(v)} THEN 1.0 ELSE 0.0 END AS ${ident(`${f.column}=${v}`)}`,
        );
    }
  });
}

/** The label column: the class index (INTEGER) for classification, the value (DOUBLE) for regression. */
export function targetSql(column: string, classes: string[] | undefined): string {
  const c = ident(column);
  if (!classes) return `CAST(${c} AS DOUBLE) AS ${c}`;
  return `CAST(list_position([${classes.map(lit).join(", ")}], CAST(${c} AS VARCHAR)) - 1 AS INTEGER) AS ${c}`;
}
