import { describe, expect, it } from "vitest";
import { ConfigError, RuntimeError } from "../../errors.js";
import type { Signature } from "../model/loaded-model.js";
import { type TextSpec, textPreprocessor } from "./text.js";

/** A WordPiece tokenizer.json of the BERT kind (as all-MiniLM-L6-v2's), with a vocabulary of a few words. */
const VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "play", "##ing", "cafe", ",", "!"];
const special = (content: string) => ({
  id: VOCAB.indexOf(content),
  content,
  special: true,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
});
const TOKENIZER_JSON = {
  version: "1.0",
  truncation: null,
  padding: { strategy: "BatchLongest", direction: "Right", pad_id: 0, pad_type_id: 0, pad_token: "[PAD]" },
  added_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"].map(special),
  normalizer: {
    type: "BertNormalizer",
    clean_text: true,
    handle_chinese_chars: true,
    strip_accents: null,
    lowercase: true,
  },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
    ],
    pair: [],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] },
    },
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: {
    type: "WordPiece",
    unk_token: "[UNK]",
    continuing_subword_prefix: "##",
    max_input_chars_per_word: 100,
    vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
  },
};
/** The side files as processing-files.ts hands them over: read, digest-checked, keyed by path. */
const FILES = new Map([["tokenizer.json", new TextEncoder().encode(JSON.stringify(TOKENIZER_JSON))]]);
const TOKENIZER = { path: "tokenizer.json", digest: `sha256:${"0".repeat(64)}` };

const model = (dtype: "int64" | "int32" = "int64", sequence = -1): Signature => ({
  inputs: ["input_ids", "attention_mask", "token_type_ids"].map((name) => ({ name, dtype, shape: [-1, sequence] })),
  outputs: [{ name: "last_hidden_state", dtype: "float32", shape: [-1, -1, 8] }],
  batched: true,
});
const SPEC: TextSpec = {
  input: "text",
  tokenizer: TOKENIZER,
  maxLength: 6,
  inputs: { ids: "input_ids", attentionMask: "attention_mask", tokenTypeIds: "token_type_ids" },
};
const utf8 = (s: string) => new TextEncoder().encode(s);
const rows = (data: ArrayLike<bigint | number>, width: number) =>
  Array.from({ length: data.length / width }, (_, r) =>
    Array.from(data)
      .slice(r * width, (r + 1) * width)
      .map(Number),
  );
const rejection = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).statusCode).toBe(400);
  return (err as RuntimeError).message;
};

describe("textPreprocessor", () => {
  it("tokenizes each text with the model's tokenizer, pads to the longest and masks the padding", async () => {
    const pre = textPreprocessor(SPEC, model(), FILES);
    expect(pre.input).toEqual({ name: "text", dtype: "bytes", shape: [-1] });
    expect(pre.produces).toEqual(["input_ids", "attention_mask", "token_type_ids"]);
    const [ids, mask, types] = await pre.run([utf8("Hello, WORLD!"), utf8("playing"), utf8("Café zebra")]);
    expect(ids?.shape).toEqual([3, 6]);
    expect(ids?.data).toBeInstanceOf(BigInt64Array);
    // Lower-cased, accents stripped (BertNormalizer: lowercase with strip_accents null strips them, as BERT does),
    // unknown words [UNK], [CLS] … [SEP] around.
    expect(rows(ids?.data as BigInt64Array, 6)).toEqual([
      [2, 4, 9, 5, 10, 3],
      [2, 6, 7, 3, 0, 0],
      [2, 8, 1, 3, 0, 0],
    ]);
    expect(rows(mask?.data as BigInt64Array, 6)).toEqual([
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 0, 0],
    ]);
    expect(rows(types?.data as BigInt64Array, 6)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
  });

  it("refuses a text over maxLength, naming the limit", async () => {
    const pre = textPreprocessor(SPEC, model(), FILES);
    expect(await rejection(pre.run([utf8("hello"), utf8("hello world hello world hello")]))).toBe(
      "input 'text' row 1: the text is 7 tokens long; the limit is 6 (maxLength)",
    );
  });

  it("cuts a text to maxLength when the spec says truncate, keeping the special tokens", async () => {
    const pre = textPreprocessor({ ...SPEC, truncate: true, maxLength: 4 }, model(), FILES);
    const [ids, mask] = await pre.run([utf8("hello world playing")]);
    expect(rows(ids?.data as BigInt64Array, 4)).toEqual([[2, 4, 5, 3]]);
    expect(rows(mask?.data as BigInt64Array, 4)).toEqual([[1, 1, 1, 1]]);
  });

  it("pads to the model's fixed sequence length, in the model's int32, with only the inputs declared", async () => {
    const pre = textPreprocessor({ ...SPEC, inputs: { ids: "input_ids" }, pad: 10 }, model("int32", 8), FILES);
    expect(pre.produces).toEqual(["input_ids"]);
    const [ids] = await pre.run([utf8("hello")]);
    expect(ids?.data).toBeInstanceOf(Int32Array);
    expect(rows(ids?.data as Int32Array, 8)).toEqual([[2, 4, 3, 10, 10, 10, 10, 10]]);
  });

  it("refuses bytes that are not UTF-8 and an empty request", async () => {
    const pre = textPreprocessor(SPEC, model(), FILES);
    expect(await rejection(pre.run([utf8("hello"), Uint8Array.from([0x68, 0xff, 0xfe])]))).toBe(
      "input 'text' row 1: the text is not valid UTF-8",
    );
    expect(await rejection(pre.run([]))).toBe("input 'text' has no text");
  });

  it("a spec that does not fit the model or tokenizer is a ConfigError at load", () => {
    const bad: [TextSpec, Signature, RegExp][] = [
      [
        { ...SPEC, inputs: { ids: "ids" } },
        model(),
        /preprocessing.text.inputs.ids 'ids' is not an input of the model/,
      ],
      [
        { ...SPEC, maxLength: 9 },
        model("int64", 8),
        /maxLength must be an integer from 1 to the model's sequence length 8, got 9/,
      ],
      [{ ...SPEC, maxLength: 0 }, model(), /maxLength must be an integer from 1, got 0/],
      [{ ...SPEC, inputs: { ids: "input_ids", attentionMask: "input_ids" } }, model(), /name one model input twice/],
      [
        SPEC,
        { ...model(), inputs: [{ name: "input_ids", dtype: "float32", shape: [-1, -1] }] },
        /'input_ids' must be an int64 or int32 model input of rank 2, but it is float32/,
      ],
    ];
    for (const [spec, signature, message] of bad)
      expect(() => textPreprocessor(spec, signature, FILES)).toThrow(message);
    const nonsense = new Map([["tokenizer.json", new TextEncoder().encode('{"model": {"type": "Nonsense"}}')]]);
    expect(() => textPreprocessor(SPEC, model(), nonsense)).toThrow(ConfigError);
    expect(() => textPreprocessor(SPEC, model(), nonsense)).toThrow(
      /preprocessing.text.tokenizer 'tokenizer.json' cannot be loaded/,
    );
    const notJson = new Map([["tokenizer.json", new TextEncoder().encode("{")]]);
    expect(() => textPreprocessor(SPEC, model(), notJson)).toThrow(
      "preprocessing.text.tokenizer 'tokenizer.json' is not valid JSON",
    );
  });

  it("the input defaults to 'text'", () => {
    const { input: _, ...unnamed } = SPEC;
    expect(textPreprocessor(unnamed, model(), FILES).input.name).toBe("text");
  });
});
