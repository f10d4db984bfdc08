// Turns the TypeBox schemas into CustomResourceDefinition objects (pure; hack/gen-crds.ts writes them out).
import type { TSchema } from "@sinclair/typebox";
import { GROUP, VERSION } from "./v1alpha1/common.js";

interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

/** One kind of the API; `T` is the type of its objects, so the resource table built from it is typed. */
export interface KindDefinition<T = unknown> {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: PrinterColumn[];
  /** Paths for the scale subresource (kubectl scale, HPA targets). */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  /** Type only, never set: the objects of this kind. */
  readonly objectType?: T;
}

/**
 * Plain OpenAPI v3.0 schema for the API server: the JSON round-trip drops TypeBox's symbol-keyed metadata, and
 * numeric `exclusiveMinimum: n` (JSON Schema 2019) becomes `minimum: n, exclusiveMinimum: true` (OpenAPI 3.0).
 */
export function plainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const node = { ...(value as Record<string, unknown>) };
    for (const [exclusive, bound] of [
      ["exclusiveMinimum", "minimum"],
      ["exclusiveMaximum", "maximum"],
    ] as const) {
      if (typeof node[exclusive] === "number") {
        node[bound] = node[exclusive];
        node[exclusive] = true;
      }
    }
    return node;
  }) as Record<string, unknown>;
}

export function customResourceDefinition(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "liftoff", "app.kubernetes.io/part-of": "liftoff" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ["liftoff"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: def.description,
              required: ["spec"],
              properties: {
                apiVersion: {
                  type: "string",
                  description: "Versioned schema of this representation of an object (liftoff.dev/v1alpha1).",
                },
                kind: { type: "string", description: `Kind of the object (${def.kind}).` },
                metadata: { type: "object" },
                spec: plainSchema(def.spec),
                status: plainSchema(def.status),
              },
            },
          },
          subresources: {
            status: {},
            ...(def.scale ? { scale: def.scale } : {}),
          },
          additionalPrinterColumns: [
            ...def.printerColumns,
            {
              name: "Age",
              type: "date",
              jsonPath: ".metadata.creationTimestamp",
              description: "Time since the object was created.",
            },
          ],
        },
      ],
    },
  };
}
