import { describe, expect, it } from "vitest";
import { BASE_BYTES, checkModelFits, memoryNeeded } from "./memory-fit.js";

const MiB = 1024 * 1024;

describe("memory fit", () => {
  it.each([
    // model bytes, format, limit, fits
    [100 * MiB, "onnx", 406 * MiB, true], // 150 + 256 = 406: exactly at the limit
    [100 * MiB, "onnx", 405 * MiB, false],
    [100 * MiB, "tfjs", 456 * MiB, true], // 200 + 256
    [100 * MiB, "tfjs", 455 * MiB, false],
    [4096 * MiB, "onnx", 0, true], // no limit known: no check
    [4096 * MiB, "onnx", undefined, true],
  ] as const)("%d bytes of %s within %s: %s", (bytes, format, limit, fits) => {
    const check = () => checkModelFits(bytes, format, limit);
    if (fits) expect(check).not.toThrow();
    else expect(check).toThrow(/^ModelTooLarge: /);
  });

  it("needs the file times its format's factor plus the runtime's own base", () => {
    expect(memoryNeeded(2 * MiB, "onnx")).toBe(3 * MiB + BASE_BYTES);
  });
});
