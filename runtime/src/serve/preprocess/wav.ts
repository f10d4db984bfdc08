/**
 * RIFF/WAVE decoding to mono samples in [−1, 1]: PCM integers of 8, 16, 24 and 32 bits and IEEE floats of 32 and
 * 64 bits, plain or WAVE_FORMAT_EXTENSIBLE; channels are averaged. Strict, because the bytes come from a client:
 * every size the file claims is checked against the bytes present, and the one allocation (one number per sample
 * frame) happens only after the length is checked against `maxSeconds`. Pure.
 */

/** A file that is not a WAV this decoder takes; the message names what is wrong. */
export class WavError extends Error {
  override name = "WavError";
}

export interface Wav {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  encoding: "pcm" | "float";
  /** Mono (the mean of the channels), float64 so resampling adds no rounding of its own; in [−1, 1]. */
  samples: Float64Array;
}

/** Above every rate audio hardware records at (768 kHz); a larger claim is a broken or hostile header. */
export const MAX_SAMPLE_RATE = 768_000;

const PCM = 0x0001;
const FLOAT = 0x0003;
const EXTENSIBLE = 0xfffe;
/** The 12 bytes after the format code in a WAVE_FORMAT_EXTENSIBLE sub-format GUID (KSDATAFORMAT_SUBTYPE_*). */
const GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
/** Codecs a client may send by mistake, named in the error. */
const CODEC_NAMES: Readonly<Record<number, string>> = {
  2: "Microsoft ADPCM",
  6: "A-law",
  7: "µ-law",
  17: "IMA ADPCM",
  49: "GSM 6.10",
  80: "MPEG",
  85: "MPEG Layer 3",
  353: "Windows Media Audio",
  26447: "Ogg Vorbis",
  61868: "FLAC",
};

const hex = (n: number) => `0x${n.toString(16).padStart(4, "0")}`;
const fourcc = (b: Uint8Array, at: number) =>
  String.fromCharCode(...b.subarray(at, at + 4)).replace(/[^\x20-\x7e]/g, "?");

interface Chunk {
  at: number;
  size: number;
}

/** The chunks inside the RIFF body, each checked to lie inside the bytes present. */
function chunks(b: Uint8Array, view: DataView): Map<string, Chunk> {
  if (b.byteLength < 12) throw new WavError(`the file is ${b.byteLength} bytes, too short for a RIFF/WAVE header (12)`);
  const magic = fourcc(b, 0);
  if (magic === "RIFX" || magic === "RF64") throw new WavError(`${magic} files are not supported; send a RIFF WAV`);
  if (magic !== "RIFF") throw new WavError(`not a WAV file: it starts with '${magic}', not 'RIFF'`);
  if (fourcc(b, 8) !== "WAVE") throw new WavError(`a RIFF file of type '${fourcc(b, 8)}', not 'WAVE'`);
  const riff = view.getUint32(4, true);
  if (riff + 8 > b.byteLength) {
    throw new WavError(`truncated: the RIFF header claims ${riff + 8} bytes but the file has ${b.byteLength}`);
  }
  const end = 8 + riff;
  const found = new Map<string, Chunk>();
  let at = 12;
  while (at < end) {
    if (end - at < 8)
      throw new WavError(`truncated: ${end - at} stray bytes at offset ${at} where a chunk header (8) should be`);
    const id = fourcc(b, at);
    const size = view.getUint32(at + 4, true);
    if (size > end - at - 8) {
      throw new WavError(
        `truncated: chunk '${id}' at offset ${at} claims ${size} bytes but only ${end - at - 8} follow`,
      );
    }
    if ((id === "fmt " || id === "data") && found.has(id)) throw new WavError(`the file has two '${id}' chunks`);
    found.set(id, { at: at + 8, size });
    // Chunks are word-aligned: an odd size is followed by one pad byte (which a last chunk may lack).
    at += 8 + size + (size % 2);
  }
  return found;
}

interface Format {
  encoding: "pcm" | "float";
  channels: number;
  sampleRate: number;
  bits: number;
  blockAlign: number;
}

function format(b: Uint8Array, view: DataView, fmt: Chunk): Format {
  if (fmt.size < 16) throw new WavError(`the fmt chunk is ${fmt.size} bytes; it needs at least 16`);
  let tag = view.getUint16(fmt.at, true);
  const channels = view.getUint16(fmt.at + 2, true);
  const sampleRate = view.getUint32(fmt.at + 4, true);
  const blockAlign = view.getUint16(fmt.at + 12, true);
  const bits = view.getUint16(fmt.at + 14, true);
  if (tag === EXTENSIBLE) {
    if (fmt.size < 40) throw new WavError(`a WAVE_FORMAT_EXTENSIBLE fmt chunk is ${fmt.size} bytes; it needs 40`);
    const guid = fmt.at + 24;
    tag = view.getUint32(guid, true);
    if (GUID_TAIL.some((v, i) => b[guid + 4 + i] !== v) || tag > 0xffff) {
      throw new WavError("unsupported codec: WAVE_FORMAT_EXTENSIBLE with a sub-format that is not a WAVE format code");
    }
  }
  if (tag !== PCM && tag !== FLOAT) {
    const name = CODEC_NAMES[tag];
    throw new WavError(
      `unsupported codec: format ${hex(tag)}${name ? ` (${name})` : ""}; the runtime decodes PCM integers (0x0001) and IEEE floats (0x0003)`,
    );
  }
  const encoding = tag === PCM ? "pcm" : "float";
  if (channels === 0) throw new WavError("the fmt chunk says the audio has zero channels");
  if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE) {
    throw new WavError(`the sample rate ${sampleRate} Hz is outside 1 to ${MAX_SAMPLE_RATE} Hz`);
  }
  const sizes = encoding === "pcm" ? [8, 16, 24, 32] : [32, 64];
  if (!sizes.includes(bits)) {
    throw new WavError(
      `${bits}-bit ${encoding === "pcm" ? "PCM" : "float"} samples are not supported (${sizes.join(", ")} are)`,
    );
  }
  if (blockAlign !== channels * (bits / 8)) {
    throw new WavError(`the fmt chunk's block align ${blockAlign} is not ${channels} channels × ${bits / 8} bytes`);
  }
  return { encoding, channels, sampleRate, bits, blockAlign };
}

/** One sample as a number in [−1, 1] (integers scaled by their full range; floats clipped). */
function reader(view: DataView, f: Format): (at: number) => number {
  if (f.encoding === "float") {
    const get = f.bits === 32 ? (at: number) => view.getFloat32(at, true) : (at: number) => view.getFloat64(at, true);
    return (at) => {
      const v = get(at);
      if (!Number.isFinite(v)) throw new WavError(`the sample at byte ${at} is ${v}, not a finite number`);
      return Math.min(1, Math.max(-1, v));
    };
  }
  switch (f.bits) {
    case 8: // unsigned, 128 is silence
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, true) / 32768;
    case 24:
      return (at) => ((view.getUint8(at + 2) << 24) | (view.getUint16(at, true) << 8)) / 2147483648;
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

/** Decodes a whole WAV file; anything it does not take is a WavError. */
export function decodeWav(bytes: Uint8Array, maxSeconds: number): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = chunks(bytes, view);
  const fmt = found.get("fmt ");
  if (fmt === undefined) throw new WavError("the file has no 'fmt ' chunk");
  const data = found.get("data");
  if (data === undefined) throw new WavError("the file has no 'data' chunk");
  const f = format(bytes, view, fmt);
  if (data.size % f.blockAlign !== 0) {
    throw new WavError(
      `truncated: the data chunk's ${data.size} bytes are not whole ${f.blockAlign}-byte sample frames`,
    );
  }
  const frames = data.size / f.blockAlign;
  if (frames === 0) throw new WavError("the data chunk holds no samples");
  if (frames > maxSeconds * f.sampleRate) {
    throw new WavError(
      `the audio is ${(frames / f.sampleRate).toFixed(2)} s long; the limit is ${maxSeconds} s (maxSeconds)`,
    );
  }
  const read = reader(view, f);
  const width = f.bits / 8;
  const samples = new Float64Array(frames);
  for (let i = 0, at = data.at; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < f.channels; c++, at += width) sum += read(at);
    samples[i] = sum / f.channels;
  }
  return { sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bits, encoding: f.encoding, samples };
}
