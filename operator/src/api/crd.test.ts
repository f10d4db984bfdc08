import { describe, expect, it } from "vitest";
import { customResourceDefinition, plainSchema } from "./crd.js";
import { ALL_KINDS, ModelDeploymentKind } from "./v1alpha1/index.js";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

/** Paths of schema nodes under `properties`/`items` that lack a description. */
function undescribed(schema: Schema, path: string, out: string[]): string[] {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = `${path}.${name}`;
    if (name !== "metadata" && typeof child.description !== "string") out.push(childPath);
    undescribed(child, childPath, out);
  }
  if (schema.items) undescribed(schema.items, `${path}[]`, out);
  return out;
}

/** Structural-schema rules the API server enforces: every node typed (or int-or-string), no const/anyOf-of-types. */
function structuralProblems(schema: Schema, path: string, out: string[]): string[] {
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  if (!intOrString && typeof schema.type !== "string") out.push(`${path}: no type`);
  if ("const" in schema) out.push(`${path}: const is not allowed`);
  if ("anyOf" in schema && !intOrString) out.push(`${path}: anyOf outside int-or-string`);
  if ("patternProperties" in schema) out.push(`${path}: patternProperties is not structural`);
  if (typeof schema.exclusiveMinimum === "number") out.push(`${path}: numeric exclusiveMinimum`);
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    structuralProblems(child, `${path}.${name}`, out);
  if (schema.items) structuralProblems(schema.items, `${path}[]`, out);
  return out;
}

function openAPISchema(crd: Record<string, unknown>): Schema {
  // biome-ignore lint/suspicious/noExplicitAny: walking a generated manifest
  return (crd as any).spec.versions[0].schema.openAPIV3Schema as Schema;
}

describe.each(ALL_KINDS.map((k) => [k.kind, k] as const))("%s CRD", (_kind, def) => {
  const crd = customResourceDefinition(def);
  const schema = openAPISchema(crd);

  it("describes every field, so kubectl explain is useful", () => {
    expect(undescribed(schema, def.kind, [])).toEqual([]);
  });

  it("is a structural schema", () => {
    expect(structuralProblems(schema, def.kind, [])).toEqual([]);
  });

  it("has the status subresource, category liftoff and its short name", () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a generated manifest
    const spec = (crd as any).spec;
    expect(spec.versions[0].subresources.status).toEqual({});
    expect(spec.names.categories).toEqual(["liftoff"]);
    expect(spec.names.shortNames).toHaveLength(1);
    expect(spec.versions[0].additionalPrinterColumns.at(-1).name).toBe("Age");
  });

  it("publishes conditions as a list map keyed by type, with observedGeneration", () => {
    const status = schema.properties?.status as Schema;
    expect(status.properties?.observedGeneration?.type).toBe("integer");
    const conditions = status.properties?.conditions as Schema;
    expect(conditions["x-kubernetes-list-map-keys"]).toEqual(["type"]);
    expect(Object.keys(conditions.items?.properties ?? {}).sort()).toEqual(
      ["lastTransitionTime", "message", "observedGeneration", "reason", "status", "type"].sort(),
    );
  });
});

describe("ModelDeployment", () => {
  it("has a scale subresource wired to spec.replicas and status.selector", () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a generated manifest
    const sub = (customResourceDefinition(ModelDeploymentKind) as any).spec.versions[0].subresources;
    expect(sub.scale).toEqual({
      specReplicasPath: ".spec.replicas",
      statusReplicasPath: ".status.replicas",
      labelSelectorPath: ".status.selector",
    });
  });

  it("prints Ready, Replicas, Scale, Model, Format, URL, Drift, Accuracy, Tokens/s, Loop and Age", () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking a generated manifest
    const cols = (customResourceDefinition(ModelDeploymentKind) as any).spec.versions[0].additionalPrinterColumns;
    const shown = cols.filter((c: { priority?: number }) => !c.priority);
    expect(shown.map((c: { name: string }) => c.name)).toEqual([
      "Ready",
      "Replicas",
      "Scale",
      "Model",
      "Format",
      "URL",
      "Drift",
      "Accuracy",
      "Tokens/s",
      "Loop",
      "Age",
    ]);
    expect(shown.find((c: { name: string }) => c.name === "Loop")?.jsonPath).toBe(".status.loop.stage");
    expect(shown.find((c: { name: string }) => c.name === "Scale")?.jsonPath).toBe(".status.autoscaling.summary");
    expect(shown.find((c: { name: string }) => c.name === "Tokens/s")?.jsonPath).toBe(".status.llm.tokensPerSecond");
    // The full URI only in -o wide: MODEL shows the TrainingJob or the short digest.
    const wide = cols.filter((c: { priority?: number }) => c.priority === 1);
    expect(wide.map((c: { name: string; jsonPath: string }) => [c.name, c.jsonPath])).toEqual([
      ["Model URI", ".status.model.uri"],
    ]);
    expect(shown.find((c: { name: string }) => c.name === "Model")?.jsonPath).toBe(".status.model.summary");
  });
});

describe("plainSchema", () => {
  it("turns numeric exclusive bounds into OpenAPI 3.0 booleans", () => {
    const out = plainSchema({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 5 } as never);
    expect(out).toEqual({ type: "number", minimum: 0, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true });
  });
});
