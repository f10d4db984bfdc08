import { describe, expect, it } from "vitest";
import { BASE_BYTES, checkModelFits, memoryNeeded } from "./memory-fit.js";

const MiB = 1024 * 1024;

describe("memory fit", () => {
  it.each([
    // model bytes, format, limit, fits
    [100 * MiB, "onnx", 456 * MiB, true], // 200 + 256 = 456: exactly at the limit
    [100 * MiB, "onnx", 455 * MiB, false],
    [100 * MiB, "tfjs", 456 * MiB, true],
    [100 * MiB, "tfjs", 455 * MiB, false],
    [4096 * MiB, "onnx", 0, true], // no limit known: no check
    [4096 * MiB, "onnx", undefined, true],
  ] as const)("%d bytes of %s within %s: %s", (bytes, format, limit, fits) => {
    const check = () => checkModelFits(bytes, format, limit);
    if (fits) expect(check).not.toThrow();
    else expect(check).toThrow(/^ModelTooLarge: /);
  });

  it("needs the file times its format's factor plus the runtime's own base", () => {
    expect(memoryNeeded(3 * MiB, "onnx")).toBe(6 * MiB + BASE_BYTES);
  });
});
