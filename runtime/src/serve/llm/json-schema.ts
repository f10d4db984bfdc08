/**
 * The JSON schemas response_format may carry, checked against what node-llama-cpp's grammar builder honours. The
 * builder never fails: an unknown type, a keyword it does not know (pattern, minimum, allOf…) or a dangling $ref
 * silently turn into "any value", so a client would get output its schema forbids. Here such a schema is a 400
 * naming the place and the keyword instead. `anyOf` is read as `oneOf` (generation picks one branch either way: the
 * schemas pydantic writes for Optional fields use it); annotations (title, default, examples…) are dropped.
 */
import { errors } from "../../errors.js";

type Schema = Record<string, unknown>;

const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);
const STRING_FORMATS = new Set(["date-time", "time", "date"]);
const ANNOTATIONS = new Set([
  "title",
  "$schema",
  "$id",
  "$comment",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "strict",
]);
/** Keywords the grammar builder reads, and which schema shapes may hold them. */
const KNOWN = new Set([
  "type",
  "description",
  "const",
  "enum",
  "oneOf",
  "anyOf",
  "$defs",
  "$ref",
  "properties",
  "additionalProperties",
  "required",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "format",
]);
const MAX_DEPTH = 32;

const isObject = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

function refuse(at: string, why: string): never {
  throw errors.invalidField(
    "response_format",
    `response_format.json_schema.schema${at}: ${why} (llama.cpp grammars support type, const, enum, oneOf/anyOf, properties, required, additionalProperties, items, prefixItems, min/max Items/Length/Properties, string formats date-time/time/date, $defs and #/$defs/ references)`,
  );
}

function walk(s: unknown, at: string, defs: Schema, depth: number): Schema {
  if (depth > MAX_DEPTH) refuse(at, `nests deeper than ${MAX_DEPTH} levels`);
  if (!isObject(s)) refuse(at, "is not a schema object");
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (ANNOTATIONS.has(k)) continue;
    if (!KNOWN.has(k)) refuse(at, `keyword '${k}' is not enforced by the grammar`);
    out[k === "anyOf" ? "oneOf" : k] = v;
  }
  const sub = (v: unknown, p: string) => walk(v, `${at}${p}`, defs, depth + 1);
  if (typeof out.$ref === "string") {
    const name = /^#\/\$defs\/(.+)$/.exec(out.$ref)?.[1];
    if (name === undefined || !(name in defs))
      refuse(at, `$ref '${out.$ref}' does not name an entry of the root $defs`);
  } else if (out.$ref !== undefined) refuse(at, "$ref must be a string");
  const type = out.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const ok = Array.isArray(type)
      ? types.every((t) => SCALAR_TYPES.has(t as string))
      : SCALAR_TYPES.has(type as string) || type === "object" || type === "array";
    if (!ok || types.length === 0) refuse(at, `type ${JSON.stringify(type)} is not one the grammar knows`);
  }
  if (out.format !== undefined && !(type === "string" && STRING_FORMATS.has(out.format as string)))
    refuse(at, `format ${JSON.stringify(out.format)} is not enforced (only date-time, time, date on strings)`);
  if (out.enum !== undefined && (!Array.isArray(out.enum) || out.enum.length === 0))
    refuse(at, "enum must be a non-empty list");
  if (out.oneOf !== undefined) {
    if (!Array.isArray(out.oneOf) || out.oneOf.length === 0) refuse(at, "oneOf/anyOf must be a non-empty list");
    out.oneOf = out.oneOf.map((b, i) => sub(b, `.oneOf[${i}]`));
  }
  if (out.properties !== undefined) {
    if (!isObject(out.properties)) refuse(at, "properties must be an object");
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, sub(v, `.properties.${k}`)]),
    );
  }
  if (isObject(out.additionalProperties))
    out.additionalProperties = sub(out.additionalProperties, ".additionalProperties");
  if (out.items !== undefined) {
    if (typeof out.items === "boolean") {
      if (out.items) delete out.items;
      else refuse(at, "items: false is not enforced");
    } else out.items = sub(out.items, ".items");
  }
  if (out.prefixItems !== undefined) {
    if (!Array.isArray(out.prefixItems)) refuse(at, "prefixItems must be a list");
    out.prefixItems = out.prefixItems.map((p, i) => sub(p, `.prefixItems[${i}]`));
  }
  if (out.$defs !== undefined) {
    if (!isObject(out.$defs)) refuse(at, "$defs must be an object");
    out.$defs = Object.fromEntries(Object.entries(out.$defs).map(([k, v]) => [k, sub(v, `.$defs.${k}`)]));
  }
  return out;
}

/** The schema as the grammar builder takes it; a 400 (param response_format) for anything it would not enforce. */
export function grammarSchema(schema: object): Schema {
  const defs = isObject((schema as Schema).$defs) ? ((schema as Schema).$defs as Schema) : {};
  return walk(schema, "", defs, 0);
}
