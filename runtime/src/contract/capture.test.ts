// LIFTOFF_CAPTURE as serve parses it: defaults filled in, every bad field named.
import { describe, expect, it } from "vitest";
import { CAPTURE_DEFAULTS, parseCaptureConfig } from "./capture.js";

const base = {
  uri: "pvc://captures/penguins",
  target: "species",
  columns: [
    { name: "island", type: "category" },
    { name: "bill_length_mm", type: "number" },
    { name: "email", type: "string" },
  ],
};
const parse = (v: unknown) => parseCaptureConfig(JSON.stringify(v));

describe("parseCaptureConfig", () => {
  it("fills in the defaults", () => {
    const c = parse(base);
    expect(c).toMatchObject({ ...CAPTURE_DEFAULTS, track: "stable", pii: [] });
    expect(c.encryption).toBeUndefined();
  });

  it("keeps pii, encryption and the track", () => {
    const c = parse({
      ...base,
      sampleRate: 0.5,
      pii: [{ column: "email", action: "hash", saltVaultPath: "secret/data/salt", saltVaultKey: "salt" }],
      encryption: { transitKey: "captures" },
      track: "canary",
    });
    expect(c.sampleRate).toBe(0.5);
    expect(c.pii[0]?.action).toBe("hash");
    expect(c.encryption?.transitKey).toBe("captures");
    expect(c.track).toBe("canary");
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["an unknown field", JSON.stringify({ ...base, extra: 1 }), /unknown field\(s\) extra/],
    ["a bad uri", JSON.stringify({ ...base, uri: "http://x/y" }), /capture.uri must be pvc/],
    ["a sample rate of 0", JSON.stringify({ ...base, sampleRate: 0 }), /capture.sampleRate/],
    ["a sample rate above 1", JSON.stringify({ ...base, sampleRate: 1.5 }), /capture.sampleRate/],
    ["no columns", JSON.stringify({ ...base, columns: [] }), /capture.columns must list/],
    ["the target among columns", JSON.stringify({ ...base, target: "island" }), /must not include the target/],
    [
      "a reserved column name",
      JSON.stringify({ ...base, columns: [{ name: "__track", type: "string" }] }),
      /not a usable/,
    ],
    ["a hash without salt", JSON.stringify({ ...base, pii: [{ column: "email", action: "hash" }] }), /saltVaultPath/],
    ["pii of an unknown column", JSON.stringify({ ...base, pii: [{ column: "x", action: "drop" }] }), /not one of/],
    ["a bad track", JSON.stringify({ ...base, track: "blue" }), /capture.track/],
  ])("refuses %s", (_what, raw, message) => {
    expect(() => parseCaptureConfig(raw)).toThrow(message);
  });
});
