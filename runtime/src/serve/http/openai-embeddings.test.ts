import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../errors.js";
import { encodeVector, parseEmbeddingsRequest } from "./openai-embeddings.js";

describe("parseEmbeddingsRequest", () => {
  it("reads each input form: a string, strings, token ids, lists of token ids", () => {
    expect(parseEmbeddingsRequest({ model: "m", input: "a b" }).inputs).toEqual(["a b"]);
    expect(parseEmbeddingsRequest({ model: "m", input: ["a", "b"] }).inputs).toEqual(["a", "b"]);
    expect(parseEmbeddingsRequest({ model: "m", input: [101, 7, 102] }).inputs).toEqual([[101, 7, 102]]);
    expect(parseEmbeddingsRequest({ model: "m", input: [[1, 2], [3]] }).inputs).toEqual([[1, 2], [3]]);
    expect(parseEmbeddingsRequest({ model: "m", input: ["a", [3]] }).inputs).toEqual(["a", [3]]);
  });

  it("defaults to floats and no dimensions; takes base64 and a positive dimensions", () => {
    expect(parseEmbeddingsRequest({ model: "m", input: "a" })).toMatchObject({
      encoding: "float",
      dimensions: undefined,
    });
    expect(
      parseEmbeddingsRequest({ model: "m", input: "a", encoding_format: "base64", dimensions: 384, user: "u" }),
    ).toMatchObject({ encoding: "base64", dimensions: 384 });
  });

  it.each([
    ["a body that is not an object", [1], "body"],
    ["no model", { input: "a" }, "model"],
    ["no input", { model: "m" }, "input"],
    ["an empty list", { model: "m", input: [] }, "input"],
    ["an object as input", { model: "m", input: { text: "a" } }, "input"],
    ["a null in a list", { model: "m", input: ["a", null] }, "input[1]"],
    ["a string inside token ids", { model: "m", input: [[1, "2"]] }, "input[0]"],
    ["an unknown encoding", { model: "m", input: "a", encoding_format: "int8" }, "encoding_format"],
    ["dimensions 0", { model: "m", input: "a", dimensions: 0 }, "dimensions"],
    ["dimensions not an integer", { model: "m", input: "a", dimensions: 1.5 }, "dimensions"],
  ])("%s is a 400 naming %s", (_what, body, param) => {
    let err: unknown;
    try {
      parseEmbeddingsRequest(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ statusCode: 400, param });
  });
});

describe("encodeVector", () => {
  it("sends numbers as they are, or base64 of little-endian float32 that decodes to the same floats", () => {
    const v = new Float32Array([0.5, -1.25, 3e-8, 0]);
    expect(encodeVector(v, "float")).toEqual([0.5, -1.25, v[2], 0]);
    const bytes = Buffer.from(encodeVector(v, "base64") as string, "base64");
    expect(bytes.length).toBe(16);
    expect([0, 4, 8, 12].map((o) => bytes.readFloatLE(o))).toEqual(Array.from(v));
    expect(bytes.readFloatLE(4)).toBe(-1.25);
  });
});
