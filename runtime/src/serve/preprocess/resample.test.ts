import { describe, expect, it } from "vitest";
import { MAX_RATIO_TERM, ratio, ratioProblem, resample } from "./resample.js";

const tone = (hz: number, rate: number, n: number) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
/** The largest |sample| away from the edges (where the zero padding fades the signal in and out). */
const peak = (x: Float64Array) => Math.max(...Array.from(x.subarray(200, x.length - 200), Math.abs));

describe("resample (scipy.signal.resample_poly's algorithm)", () => {
  it("reduces the ratio and gives scipy's length, ceil(n·up/down)", () => {
    expect(ratio(44100, 16000)).toEqual({ up: 160, down: 441 });
    expect(resample(new Float64Array(1000), 44100, 16000).length).toBe(Math.ceil((1000 * 160) / 441));
    expect(resample(new Float64Array(1000), 8000, 16000).length).toBe(2000);
  });
  it("equal rates copy the samples", () => {
    const x = Float64Array.from([0.1, -0.2, 0.3]);
    const y = resample(x, 16000, 16000);
    expect(Array.from(y)).toEqual([0.1, -0.2, 0.3]);
    expect(y).not.toBe(x);
  });
  it("keeps a tone the target rate can carry", () => {
    const y = resample(tone(440, 44100, 44100), 44100, 16000);
    expect(peak(y)).toBeGreaterThan(0.99);
    expect(peak(y)).toBeLessThan(1.01);
    // The 440 Hz tone at its own place in time: sample k of 16 kHz is input time k/16000.
    for (const k of [1000, 5000, 12345]) expect(y[k]).toBeCloseTo(Math.sin((2 * Math.PI * 440 * k) / 16000), 3);
  });
  it("filters out what the target rate cannot carry instead of folding it back (no aliasing)", () => {
    // 10 kHz is above 16 kHz's Nyquist (8 kHz), past the filter's transition band: dropping samples or
    // interpolating would fold it back to 6 kHz at nearly full amplitude.
    expect(peak(resample(tone(10000, 44100, 44100), 44100, 16000))).toBeLessThan(0.01);
  });
  it("upsampling interpolates between the samples", () => {
    const y = resample(tone(1000, 8000, 8000), 8000, 44100);
    for (const k of [3001, 20000, 40003]) expect(y[k]).toBeCloseTo(Math.sin((2 * Math.PI * 1000 * k) / 44100), 2);
  });
  it("refuses a ratio whose filter would be too long, naming it", () => {
    expect(ratioProblem(44100, 16000)).toBeUndefined();
    expect(ratioProblem(44101, 16000)).toBe(
      `resampling 44101 Hz to 16000 Hz needs the ratio 16000/44101, whose terms exceed ${MAX_RATIO_TERM}; use a common sample rate`,
    );
    expect(() => resample(new Float64Array(4), 44101, 16000)).toThrow(RangeError);
    expect(() => resample(new Float64Array(4), 0, 16000)).toThrow(/positive integers/);
  });
});
