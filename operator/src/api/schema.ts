// Building blocks for Kubernetes-structural JSON Schemas written with TypeBox.
// Every helper takes a description, because `kubectl explain` is how users read the API.
import { type SchemaOptions, type TSchema, Type } from "@sinclair/typebox";

export interface CelRule {
  rule: string;
  message: string;
  /** Names the field the message is about, so the API server reports that path. */
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** Options accepted by every helper: a mandatory description plus Kubernetes schema extensions. */
export interface FieldOptions extends SchemaOptions {
  description: string;
  rules?: CelRule[];
}

/** Moves `rules` into `x-kubernetes-validations`, the key the API server reads CEL from. */
export function k8s(options: FieldOptions): SchemaOptions {
  const { rules, ...rest } = options;
  return rules && rules.length > 0 ? { ...rest, "x-kubernetes-validations": rules } : rest;
}

/** A string enum as a plain `enum` (structural schemas forbid anyOf-of-const, which TypeBox unions produce). */
export function StringEnum<const T extends readonly string[]>(values: T, options: FieldOptions) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...k8s(options) });
}

/** A Kubernetes resource.Quantity ("500m", "2Gi", 4): int-or-string with the apimachinery pattern. */
const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
export function Quantity(options: FieldOptions) {
  return Type.Unsafe<string | number>({
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": true,
    ...k8s(options),
  });
}

/** An RFC 1123 DNS label/subdomain: the name of another object in the same namespace. */
const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
export function ObjectName(options: FieldOptions) {
  return Type.String({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN, ...k8s(options) });
}

/** A string → string map (labels, nodeSelector). */
export function StringMap(options: FieldOptions) {
  return Type.Unsafe<Record<string, string>>({
    type: "object",
    additionalProperties: { type: "string" },
    ...k8s(options),
  });
}

/** A string → number map (metrics by name). */
export function NumberMap(options: FieldOptions) {
  return Type.Unsafe<Record<string, number>>({
    type: "object",
    additionalProperties: { type: "number" },
    ...k8s(options),
  });
}

/** A string → integer map (category counts). */
export function IntegerMap(options: FieldOptions) {
  return Type.Unsafe<Record<string, number>>({
    type: "object",
    additionalProperties: { type: "integer", format: "int64" },
    ...k8s(options),
  });
}

export function Obj<P extends Record<string, TSchema>>(properties: P, options: FieldOptions) {
  return Type.Object(properties, k8s(options));
}

/** A list of objects keyed by `name`: the API server rejects duplicate names and merges by key under SSA. */
export function NamedList<T extends TSchema>(item: T, options: FieldOptions & { maxItems: number }) {
  return Type.Array(item, {
    ...k8s(options),
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
  });
}

/** CEL rule making a field immutable once set. */
export function immutable(field: string, hint: string): CelRule {
  return { rule: "self == oldSelf", message: `${field} is immutable; ${hint}` };
}
