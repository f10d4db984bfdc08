// The cleaned relation (pure SQL): schema columns cast to their types with the source row number, then each row
// step in spec order (dropNA, fillNA, hashPII, dropColumns) as one nested SELECT, so DuckDB streams it in one pass.
import type { Plan } from "./plan.js";
import { castSql, hmacSql, ident, lit } from "./sql.js";

export function cleanSql(from: string, plan: Plan, salts: Map<string, Buffer>): string {
  const casts = plan.columns.map((c) => `${castSql(ident(c.name), c.type)} AS ${ident(c.name)}`);
  let sql = `SELECT row_number() OVER () - 1 AS __row, ${casts.join(", ")} FROM ${from}`;
  for (const step of plan.rowSteps) {
    switch (step.kind) {
      case "dropNA":
        if (step.columns.length > 0) {
          sql = `SELECT * FROM (${sql}) WHERE ${step.columns.map((c) => `${ident(c)} IS NOT NULL`).join(" AND ")}`;
        }
        break;
      case "fillNA": {
        const c = ident(step.column);
        sql = `SELECT * REPLACE (coalesce(${c}, ${castSql(lit(step.value), step.type)}) AS ${c}) FROM (${sql})`;
        break;
      }
      case "hashPII": {
        const salt = salts.get(`${step.salt.path}#${step.salt.key}`) as Buffer;
        const items = step.columns.map((c) => `${hmacSql(ident(c), salt)} AS ${ident(c)}`);
        if (items.length > 0) sql = `SELECT * REPLACE (${items.join(", ")}) FROM (${sql})`;
        break;
      }
      case "dropColumns":
        sql = `SELECT * EXCLUDE (${step.columns.map(ident).join(", ")}) FROM (${sql})`;
        break;
    }
  }
  return sql;
}
