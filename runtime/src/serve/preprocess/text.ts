/**
 * Declared text preprocessing: a client sends UTF-8 texts; the model gets token ids (and attention mask and token
 * type ids when it takes them) from its own tokenizer.json, run by @huggingface/tokenizers, the JS build of HF
 * `tokenizers` (the tests compare both on the same texts). Texts of a request are padded to the longest (or to the
 * model's fixed sequence length); one over maxLength tokens is refused with a 400 naming the limit, or cut to it
 * when the spec says `truncate`.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import type { SideFile, TextPreprocessing } from "../../contract/processing.js";
import { ConfigError, errors } from "../../errors.js";
import type { Signature, Tensor, TensorSpec } from "../model/loaded-model.js";
import type { Preprocessor } from "./preprocessor.js";

/** spec.model.preprocessing.text (contract/processing.ts). */
export type TextSpec = TextPreprocessing;

/** A side file's bytes (already digest-checked, keyed by path) as JSON. */
function json(files: ReadonlyMap<string, Uint8Array>, file: SideFile, field: string): unknown {
  const bytes = files.get(file.path);
  if (bytes === undefined) throw new ConfigError(`preprocessing.text.${field} '${file.path}' was not read`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ConfigError(`preprocessing.text.${field} '${file.path}' is not valid JSON`);
  }
}

/** A tokenizer.json's padding.pad_id, when it declares one. */
function declaredPad(json: unknown): number | undefined {
  const id = (json as { padding?: { pad_id?: unknown } } | null)?.padding?.pad_id;
  return Number.isInteger(id) ? (id as number) : undefined;
}

function idInput(signature: Signature, name: string, what: string): TensorSpec {
  const spec = signature.inputs.find((s) => s.name === name);
  if (spec === undefined) {
    throw new ConfigError(
      `preprocessing.text.${what} '${name}' is not an input of the model (${signature.inputs.map((s) => s.name).join(", ")})`,
    );
  }
  if ((spec.dtype !== "int64" && spec.dtype !== "int32") || spec.shape.length !== 2) {
    throw new ConfigError(
      `preprocessing.text.${what} '${name}' must be an int64 or int32 model input of rank 2, but it is ${spec.dtype} [${spec.shape.join(", ")}]`,
    );
  }
  return spec;
}

interface Encoded {
  ids: number[];
  typeIds: number[];
}

export function textPreprocessor(
  spec: TextSpec,
  signature: Signature,
  files: ReadonlyMap<string, Uint8Array>,
): Preprocessor {
  const tokenizerJson = json(files, spec.tokenizer, "tokenizer");
  const config = spec.tokenizerConfig ? json(files, spec.tokenizerConfig, "tokenizerConfig") : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson as object, config as object);
  } catch (err) {
    throw new ConfigError(
      `preprocessing.text.tokenizer '${spec.tokenizer.path}' cannot be loaded: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  const roles = [
    ["ids", spec.inputs.ids],
    ["attentionMask", spec.inputs.attentionMask],
    ["tokenTypeIds", spec.inputs.tokenTypeIds],
  ] as const;
  const targets = roles.flatMap(([role, name]) =>
    name === undefined ? [] : [{ role, spec: idInput(signature, name, `inputs.${role}`) }],
  );
  if (new Set(targets.map((t) => t.spec.name)).size !== targets.length) {
    throw new ConfigError("preprocessing.text.inputs name one model input twice");
  }
  const fixed = targets.map((t) => t.spec.shape[1] as number).find((d) => d !== -1);
  if (!Number.isInteger(spec.maxLength) || spec.maxLength < 1 || (fixed !== undefined && spec.maxLength > fixed)) {
    throw new ConfigError(
      `preprocessing.text.maxLength must be an integer from 1${fixed !== undefined ? ` to the model's sequence length ${fixed}` : ""}, got ${spec.maxLength}`,
    );
  }
  const pad = spec.pad ?? declaredPad(tokenizerJson) ?? tokenizer.token_to_id("[PAD]");
  if (pad === undefined || !Number.isInteger(pad) || pad < 0) {
    throw new ConfigError(
      "preprocessing.text.pad is needed: the tokenizer declares no padding id and has no [PAD] token",
    );
  }
  const unk = (tokenizer.model as unknown as { unk_token_id?: number } | null)?.unk_token_id;
  const name = spec.input ?? "text";
  const decoder = new TextDecoder("utf-8", { fatal: true });

  /** Special tokens and all, as HF `tokenizers` truncation cuts: the text's own tokens, then the template again. */
  const encode = (bytes: Uint8Array, row: number): Encoded => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw errors.invalidInput(`input '${name}' row ${row}: the text is not valid UTF-8`);
    }
    const full = tokenizer.encode(text, { return_token_type_ids: true });
    if (full.ids.length <= spec.maxLength)
      return { ids: full.ids, typeIds: full.token_type_ids ?? full.ids.map(() => 0) };
    if (!spec.truncate) {
      throw errors.invalidInput(
        `input '${name}' row ${row}: the text is ${full.ids.length} tokens long; the limit is ${spec.maxLength} (maxLength)`,
      );
    }
    const own = tokenizer.tokenize(text);
    const specials = full.ids.length - own.length;
    const kept = own.slice(0, Math.max(0, spec.maxLength - specials));
    const post: { tokens: string[]; token_type_ids?: number[] } = tokenizer.post_processor
      ? tokenizer.post_processor(kept, null, true)
      : { tokens: kept };
    const ids = post.tokens.map((t) => tokenizer.token_to_id(t) ?? (unk as number));
    return { ids, typeIds: post.token_type_ids ?? ids.map(() => 0) };
  };

  return {
    input: { name, dtype: "bytes", shape: [-1] },
    produces: targets.map((t) => t.spec.name),
    async run(items) {
      if (items.length === 0) throw errors.invalidInput(`input '${name}' has no text`);
      const encoded = items.map((b, i) => encode(b, i));
      const length = fixed ?? encoded.reduce((n, e) => Math.max(n, e.ids.length), 0);
      return targets.map(({ role, spec: s }): Tensor => {
        const size = items.length * length;
        const put = s.dtype === "int64" ? new BigInt64Array(size) : new Int32Array(size);
        const set = (i: number, v: number) => {
          if (put instanceof BigInt64Array) put[i] = BigInt(v);
          else put[i] = v;
        };
        encoded.forEach((e, row) => {
          for (let k = 0; k < length; k++) {
            const token = k < e.ids.length;
            const v =
              role === "ids"
                ? token
                  ? e.ids[k]
                  : pad
                : role === "attentionMask"
                  ? token
                    ? 1
                    : 0
                  : token
                    ? e.typeIds[k]
                    : 0;
            set(row * length + k, v as number);
          }
        });
        return { data: put, shape: [items.length, length] };
      });
    },
  };
}
