// What a spec asks for, worked out before any data is read (pure): the row-level cleaning steps in order, the
// columns that remain, which of them become model features and how, and the refusals (unknown columns, a pii column
// left in clear, a text column nobody encodes) that must stop the run before anything is written.
import type { FeatureTransform } from "../contract/artifacts.js";
import { PrepareError, PrepareReason } from "./errors.js";
import type { ColumnType, PrepareSpec, VaultRef } from "./spec.js";

type RowStep =
  | { kind: "dropNA"; columns: string[] }
  | { kind: "fillNA"; column: string; type: ColumnType; value: string }
  | { kind: "hashPII"; columns: string[]; salt: VaultRef }
  | { kind: "dropColumns"; columns: string[] };

/** A feature before fitting: which transform, not yet its parameters. */
export type FeaturePlan = { column: string; kind: FeatureTransform["kind"] };

export interface Plan {
  /** Schema columns in source order, with types. */
  columns: { name: string; type: ColumnType; pii: boolean }[];
  rowSteps: RowStep[];
  /** Columns present after every row step, in source order (the stored, hashed-or-clear columns). */
  kept: { name: string; type: ColumnType }[];
  features: FeaturePlan[];
  hashed: string[];
  target: { column: string; type: ColumnType; task: "regression" | "classification" };
}

const NUMERIC = new Set<ColumnType>(["number", "integer"]);

const invalid = (message: string) => new PrepareError(PrepareReason.InvalidSpec, message);

export function planOf(spec: PrepareSpec): Plan {
  const columns = spec.schema.columns;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const target = byName.get(spec.schema.target);
  if (!target) throw invalid(`target "${spec.schema.target}" is not one of schema.columns`);
  const known = (step: string, names: string[]) => {
    for (const n of names) {
      if (!byName.has(n)) throw invalid(`${step} names column "${n}", which is not in schema.columns`);
    }
    return names;
  };

  const rowSteps: RowStep[] = [];
  const dropped = new Set<string>();
  const hashed = new Set<string>();
  const encoding = new Map<string, FeatureTransform["kind"]>();
  for (const [i, t] of spec.transforms.entries()) {
    const step = `transforms[${i}] (${t.type})`;
    const live = columns.filter((c) => !dropped.has(c.name));
    switch (t.type) {
      case "dropNA":
        rowSteps.push({ kind: "dropNA", columns: t.columns ? known(step, t.columns) : live.map((c) => c.name) });
        break;
      case "fillNA": {
        const targets = t.columns ? known(step, t.columns) : live.map((c) => c.name);
        for (const name of targets) {
          const col = byName.get(name) as (typeof columns)[number];
          const value = t.value ?? "";
          if (NUMERIC.has(col.type) && !Number.isFinite(Number(value))) {
            if (t.columns) throw invalid(`${step}: "${value}" is not a number, but column "${name}" is ${col.type}`);
            continue; // an all-columns fill applies to the columns its value fits
          }
          rowSteps.push({ kind: "fillNA", column: name, type: col.type, value });
        }
        break;
      }
      case "hashPII": {
        if (!t.saltSecret) throw invalid(`${step} needs saltSecret: a Vault reference to the salt`);
        const targets = t.columns ? known(step, t.columns) : live.filter((c) => c.pii).map((c) => c.name);
        if (targets.includes(target.name)) throw invalid(`${step} would hash the target "${target.name}"`);
        for (const n of targets) hashed.add(n);
        rowSteps.push({ kind: "hashPII", columns: targets, salt: t.saltSecret });
        break;
      }
      case "dropColumns": {
        const targets = known(step, t.columns ?? []);
        if (targets.length === 0) throw invalid(`${step} needs columns: the columns to drop`);
        if (targets.includes(target.name)) throw invalid(`${step} would drop the target "${target.name}"`);
        for (const n of targets) dropped.add(n);
        rowSteps.push({ kind: "dropColumns", columns: targets });
        break;
      }
      case "standardize":
      case "minMax":
      case "oneHot": {
        const fits = (c: { type: ColumnType }) => (t.type === "oneHot" ? c.type === "category" : NUMERIC.has(c.type));
        const targets = t.columns
          ? known(step, t.columns)
          : live.filter((c) => fits(c) && c.name !== target.name).map((c) => c.name);
        for (const n of targets) {
          const col = byName.get(n) as (typeof columns)[number];
          if (!fits(col)) {
            const need = t.type === "oneHot" ? "category" : "number or integer";
            throw invalid(`${step}: column "${n}" is ${col.type}; ${t.type} needs a ${need} column`);
          }
          if (n === target.name) throw invalid(`${step} would encode the target "${target.name}"`);
          encoding.set(n, t.type);
        }
        break;
      }
    }
  }

  for (const c of columns) {
    if (c.pii && !hashed.has(c.name) && !dropped.has(c.name)) {
      throw new PrepareError(
        PrepareReason.PIINotProtected,
        `column "${c.name}" is marked pii but neither hashed nor dropped; add it to a hashPII or dropColumns step`,
      );
    }
  }

  const kept = columns.filter((c) => !dropped.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
  const features: FeaturePlan[] = [];
  for (const c of kept) {
    if (c.name === target.name || hashed.has(c.name)) continue;
    const chosen = encoding.get(c.name);
    if (chosen) features.push({ column: c.name, kind: chosen });
    else if (NUMERIC.has(c.type)) features.push({ column: c.name, kind: "identity" });
    else if (c.type === "boolean") features.push({ column: c.name, kind: "boolean" });
    else if (c.type === "category") features.push({ column: c.name, kind: "oneHot" });
    else {
      throw invalid(
        `column "${c.name}" is free text (type string) and cannot be a model input; drop it, or declare it category`,
      );
    }
  }
  if (features.length === 0) throw invalid("no column is left as a model input besides the target");
  return {
    columns,
    rowSteps,
    kept,
    features,
    hashed: [...hashed],
    target: {
      column: target.name,
      type: target.type,
      task: NUMERIC.has(target.type) ? "regression" : "classification",
    },
  };
}
