import { describe, expect, it } from "vitest";
import { decodeWav, WavError } from "./wav.js";
import { wavFile } from "./wav-fixture.js";

const samples = (f: Parameters<typeof wavFile>[0], maxSeconds = 60) =>
  Array.from(decodeWav(wavFile(f), maxSeconds).samples);
const refused = (bytes: Uint8Array, maxSeconds = 60) => {
  try {
    decodeWav(bytes, maxSeconds);
  } catch (err) {
    expect(err).toBeInstanceOf(WavError);
    return (err as Error).message;
  }
  throw new Error("decodeWav accepted the file");
};

describe("decodeWav: every sample format to [−1, 1]", () => {
  it("16-bit PCM: full scale is 32768", () => {
    expect(samples({ samples: [0, 16384, -32768, 32767] })).toEqual([0, 0.5, -1, 32767 / 32768]);
  });
  it("8-bit PCM is unsigned around 128", () => {
    expect(samples({ bits: 8, samples: [128, 0, 255, 192] })).toEqual([0, -1, 127 / 128, 0.5]);
  });
  it("24-bit PCM, little-endian and sign-extended", () => {
    expect(samples({ bits: 24, samples: [0x400000, -0x800000, -1, 0x7fffff] })).toEqual([
      0.5,
      -1,
      -1 / 8388608,
      0x7fffff / 8388608,
    ]);
  });
  it("32-bit PCM: full scale is 2^31", () => {
    expect(samples({ bits: 32, samples: [-(2 ** 31), 2 ** 30] })).toEqual([-1, 0.5]);
  });
  it("32- and 64-bit float pass through, clipped to [−1, 1]", () => {
    expect(samples({ format: 3, bits: 32, samples: [0.25, -0.5, 1.5, -3] })).toEqual([0.25, -0.5, 1, -1]);
    expect(samples({ format: 3, bits: 64, samples: [0.1, -0.7] })).toEqual([0.1, -0.7]);
  });
  it("WAVE_FORMAT_EXTENSIBLE carries the format in its sub-format GUID", () => {
    expect(samples({ extensible: true, bits: 24, samples: [0x400000] })).toEqual([0.5]);
    expect(samples({ extensible: true, format: 3, bits: 32, samples: [-0.25] })).toEqual([-0.25]);
  });
  it("channels are averaged to mono", () => {
    const wav = decodeWav(wavFile({ channels: 3, samples: [16384, 0, -16384, 32767, 32767, 32767] }), 60);
    expect(wav.channels).toBe(3);
    expect(Array.from(wav.samples)).toEqual([0, 32767 / 32768]);
  });
  it("skips other chunks, odd-sized ones with their pad byte", () => {
    const extra: [string, Uint8Array][] = [
      ["LIST", new Uint8Array(5).fill(7)],
      ["junk", new Uint8Array(2)],
    ];
    expect(samples({ extra, samples: [16384] })).toEqual([0.5]);
  });
  it("reports the rate, channels and sample size it read", () => {
    expect(decodeWav(wavFile({ sampleRate: 44100, channels: 2, samples: [1, 2] }), 60)).toMatchObject({
      sampleRate: 44100,
      channels: 2,
      bitsPerSample: 16,
      encoding: "pcm",
    });
  });
});

describe("decodeWav refuses what it does not take, naming it", () => {
  const ok = { samples: [1, 2, 3, 4] };
  it("a truncated file: the RIFF size claims more than the bytes", () => {
    const bytes = wavFile(ok);
    expect(refused(bytes.subarray(0, bytes.byteLength - 2))).toMatch(
      /^truncated: the RIFF header claims 52 bytes but the file has 50/,
    );
  });
  it("a data chunk claiming 4 GiB in a small file is refused before anything is allocated by it", () => {
    expect(refused(wavFile({ ...ok, dataSize: 0xffffffff }))).toMatch(
      /chunk 'data' at offset 36 claims 4294967295 bytes but only 8 follow/,
    );
  });
  it("not a RIFF file, not a WAVE, RIFX, too short", () => {
    expect(refused(new TextEncoder().encode("ID3\u0004 an mp3 file"))).toMatch(
      /not a WAV file: it starts with 'ID3\?'/,
    );
    const avi = wavFile(ok);
    avi.set([0x41, 0x56, 0x49, 0x20], 8);
    expect(refused(avi)).toMatch(/RIFF file of type 'AVI ', not 'WAVE'/);
    const rifx = wavFile(ok);
    rifx.set([0x52, 0x49, 0x46, 0x58], 0);
    expect(refused(rifx)).toMatch(/RIFX files are not supported/);
    expect(refused(new Uint8Array(5))).toMatch(/5 bytes, too short/);
  });
  it("compressed codecs by name", () => {
    expect(refused(wavFile({ ...ok, format: 6 }))).toMatch(/unsupported codec: format 0x0006 \(A-law\)/);
    expect(refused(wavFile({ ...ok, format: 0x55 }))).toMatch(/format 0x0055 \(MPEG Layer 3\)/);
    expect(refused(wavFile({ ...ok, extensible: true, format: 0x11 }))).toMatch(/format 0x0011 \(IMA ADPCM\)/);
  });
  it("unsupported sample sizes", () => {
    expect(refused(wavFile({ ...ok, bits: 12, blockAlign: 2 }))).toMatch(
      /12-bit PCM samples are not supported \(8, 16, 24, 32 are\)/,
    );
    expect(refused(wavFile({ samples: [0, 0], format: 3, bits: 16 }))).toMatch(
      /16-bit float samples are not supported/,
    );
  });
  it("zero channels, a zero or absurd sample rate, a wrong block align", () => {
    expect(refused(wavFile({ ...ok, channels: 0, blockAlign: 2 }))).toMatch(/zero channels/);
    expect(refused(wavFile({ ...ok, sampleRate: 0 }))).toMatch(/sample rate 0 Hz is outside/);
    expect(refused(wavFile({ ...ok, sampleRate: 4_000_000_000 }))).toMatch(
      /sample rate 4000000000 Hz is outside 1 to 768000/,
    );
    expect(refused(wavFile({ ...ok, blockAlign: 3 }))).toMatch(/block align 3 is not 1 channels × 2 bytes/);
  });
  it("data that is not whole sample frames, no data, no samples", () => {
    expect(refused(wavFile({ channels: 2, samples: [1, 2, 3] }))).toMatch(
      /data chunk's 6 bytes are not whole 4-byte sample frames/,
    );
    expect(refused(wavFile({ samples: [] }))).toMatch(/no samples/);
  });
  it("longer than maxSeconds, before decoding", () => {
    expect(refused(wavFile({ sampleRate: 8, samples: new Array(20).fill(0) }), 2)).toBe(
      "the audio is 2.50 s long; the limit is 2 s (maxSeconds)",
    );
  });
  it("float samples that are not finite", () => {
    expect(refused(wavFile({ format: 3, bits: 32, samples: [0, Number.NaN] }))).toMatch(/sample at byte 48 is NaN/);
  });
});
