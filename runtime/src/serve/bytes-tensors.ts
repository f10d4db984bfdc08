/**
 * BYTES (string) tensor elements: one byte string each (BytesData), carried as
 * UTF-8 text or base64 in JSON and length-prefixed in binary (the V2 binary
 * extension and V2 gRPC raw contents: a 4-byte little-endian length, then the
 * bytes). Pure; every rejection is a 400 naming the tensor and the field.
 */
import { errors } from "../errors.js";
import type { BytesData, TypedData } from "./model/loaded-model.js";

export const EMPTY_BYTES = new Uint8Array(0);

export function isBytes(data: TypedData): data is BytesData {
  return Array.isArray(data);
}

const encoder = new TextEncoder();
/** fatal: invalid UTF-8 throws instead of turning into U+FFFD, so the bytes are never silently changed. */
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The element as text, or undefined when it is not valid UTF-8. */
export function utf8Text(b: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(b);
  } catch {
    return undefined;
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Strict base64 (standard or URL-safe alphabet, padding optional): undefined on
 * anything else. Buffer's own decoder skips invalid characters, which would
 * hand the model other bytes than the client meant.
 */
export function decodeBase64(s: string): Uint8Array | undefined {
  const url = !BASE64.test(s);
  if (url && !BASE64_URL.test(s)) return undefined;
  const body = s.replace(/=+$/, "");
  if (body.length % 4 === 1) return undefined;
  if (s.length !== body.length && s.length % 4 !== 0) return undefined;
  const out = Buffer.from(body, url ? "base64url" : "base64");
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/** TF Serving REST's binary string: `{"b64": "..."}`. */
export function isB64Object(v: unknown): v is { b64: string } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === "b64" && typeof (v as { b64: unknown }).b64 === "string";
}

/**
 * `n` length-prefixed elements that must fill `bytes` exactly. `n` comes from
 * the request's shape: it is checked against what the bytes can hold (4 bytes
 * of length each at least) before the element list is allocated.
 */
export function fromLengthPrefixed(bytes: Uint8Array, n: number, what: string, field: string): BytesData {
  if (n > Math.floor(bytes.byteLength / 4)) {
    throw errors.invalidInput(
      `${what}: shape needs ${n} BYTES elements but ${field} is ${bytes.byteLength} bytes (each element takes a 4-byte length and its bytes)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BytesData = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (at + 4 > bytes.byteLength) {
      throw errors.invalidInput(`${what}: ${field} ends inside the length of BYTES element ${i} of ${n}`);
    }
    const len = view.getUint32(at, true);
    at += 4;
    if (len > bytes.byteLength - at) {
      throw errors.invalidInput(
        `${what}: BYTES element ${i} claims ${len} bytes but ${field} has ${bytes.byteLength - at} left`,
      );
    }
    out[i] = bytes.subarray(at, at + len);
    at += len;
  }
  if (at !== bytes.byteLength) {
    throw errors.invalidInput(
      `${what}: ${field} has ${bytes.byteLength - at} bytes after the ${n} BYTES elements the shape needs`,
    );
  }
  return out;
}

/** The elements length-prefixed, as the V2 binary extension and Triton's raw contents carry BYTES. */
export function toLengthPrefixed(data: BytesData): Uint8Array {
  let size = 0;
  for (const b of data) size += 4 + b.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of data) {
    view.setUint32(at, b.byteLength, true);
    out.set(b, at + 4);
    at += 4 + b.byteLength;
  }
  return out;
}

/**
 * A BYTES tensor as V2 JSON `data`: UTF-8 strings when every element is text, else base64 strings
 * (the response then says `parameters.content_type: "base64"`, MLServer's convention).
 */
export function bytesToJson(data: BytesData): { data: string[]; base64: boolean } {
  const text: string[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const s = utf8Text(data[i] as Uint8Array);
    if (s === undefined) return { data: data.map(encodeBase64), base64: true };
    text[i] = s;
  }
  return { data: text, base64: false };
}
