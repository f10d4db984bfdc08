import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import { grammarSchema } from "./json-schema.js";

describe("response_format schemas against what llama.cpp's grammar enforces", () => {
  it("passes what the grammar honours; anyOf becomes oneOf, annotations are dropped", () => {
    const pydantic = {
      title: "Answer",
      type: "object",
      properties: {
        city: { title: "City", type: "string", maxLength: 40 },
        when: { type: "string", format: "date" },
        score: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
        tags: { type: "array", items: { $ref: "#/$defs/Tag" }, maxItems: 3 },
      },
      required: ["city"],
      additionalProperties: false,
      $defs: { Tag: { type: "string", enum: ["a", "b"] } },
    };
    expect(grammarSchema(pydantic)).toEqual({
      type: "object",
      properties: {
        city: { type: "string", maxLength: 40 },
        when: { type: "string", format: "date" },
        score: { oneOf: [{ type: "number" }, { type: "null" }] },
        tags: { type: "array", items: { $ref: "#/$defs/Tag" }, maxItems: 3 },
      },
      required: ["city"],
      additionalProperties: false,
      $defs: { Tag: { type: "string", enum: ["a", "b"] } },
    });
  });

  it.each([
    ["an unknown type", { type: "bogus" }, 'type "bogus"'],
    ["a regex pattern", { type: "string", pattern: "^a+$" }, "keyword 'pattern'"],
    [
      "a numeric bound",
      { type: "object", properties: { n: { type: "integer", minimum: 1 } } },
      ".properties.n: keyword 'minimum'",
    ],
    ["allOf", { allOf: [{ type: "string" }] }, "keyword 'allOf'"],
    ["a dangling $ref", { type: "array", items: { $ref: "#/$defs/Nope" } }, ".items: $ref '#/$defs/Nope'"],
    ["a remote $ref", { $ref: "http://example.com/s.json" }, "$ref 'http://example.com/s.json'"],
    ["an email format", { type: "string", format: "email" }, 'format "email"'],
    ["a schema that is a number", 5, "is not a schema object"],
    ["an empty oneOf", { oneOf: [] }, "non-empty list"],
    ["object in a type list", { type: ["object", "null"] }, 'type ["object","null"]'],
  ])("refuses %s with a 400 naming the place", (_what, schema, words) => {
    let err: unknown;
    try {
      grammarSchema(schema as object);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).statusCode).toBe(400);
    expect((err as RuntimeError).param).toBe("response_format");
    expect((err as RuntimeError).message).toContain(words);
  });

  it("refuses a schema nested deeper than 32 levels", () => {
    let s: object = { type: "string" };
    for (let i = 0; i < 40; i++) s = { type: "array", items: s };
    expect(() => grammarSchema(s)).toThrow(/deeper than 32/);
  });
});
