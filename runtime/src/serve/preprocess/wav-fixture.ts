/**
 * Tests' WAV writer: any format tag, channel count and sample size, plain or WAVE_FORMAT_EXTENSIBLE, with extra
 * chunks and header fields to override, so the decoder's every branch (and every lie a header can tell) is reachable.
 */

export interface WavFixture {
  /** Interleaved samples, as the integers (PCM) or floats stored. */
  samples: number[];
  channels?: number;
  sampleRate?: number;
  bits?: number;
  /** 1 PCM, 3 float, others to be refused. */
  format?: number;
  extensible?: boolean;
  /** Chunks written before the data chunk (id, bytes): LIST metadata, odd sizes. */
  extra?: [string, Uint8Array][];
  /** Overrides after the fact: the RIFF size, the data chunk's claimed size, the block align. */
  riffSize?: number;
  dataSize?: number;
  blockAlign?: number;
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function chunk(id: string, body: Uint8Array, claimed = body.byteLength): Uint8Array {
  const out = new Uint8Array(8 + body.byteLength + (body.byteLength % 2));
  out.set(ascii(id), 0);
  new DataView(out.buffer).setUint32(4, claimed, true);
  out.set(body, 8);
  return out;
}

function sampleBytes(f: Required<Pick<WavFixture, "samples" | "bits" | "format">>): Uint8Array {
  // Sizes the decoder refuses (12-bit) are written as zero bytes of their rounded-up width.
  const width = Math.ceil(f.bits / 8);
  const out = new Uint8Array(f.samples.length * width);
  const v = new DataView(out.buffer);
  f.samples.forEach((s, i) => {
    const at = i * width;
    if (f.format === 3 && f.bits === 32) v.setFloat32(at, s, true);
    else if (f.format === 3 && f.bits === 64) v.setFloat64(at, s, true);
    else if (f.bits === 8) v.setUint8(at, s);
    else if (f.bits === 16) v.setInt16(at, s, true);
    else if (f.bits === 24) {
      v.setUint8(at, s & 0xff);
      v.setUint16(at + 1, (s >> 8) & 0xffff, true);
    } else if (f.bits === 32) v.setInt32(at, s, true);
  });
  return out;
}

export function wavFile(f: WavFixture): Uint8Array {
  const channels = f.channels ?? 1;
  const rate = f.sampleRate ?? 16000;
  const bits = f.bits ?? 16;
  const format = f.format ?? 1;
  const blockAlign = f.blockAlign ?? channels * (bits / 8);
  const fmt = new Uint8Array(f.extensible ? 40 : 16);
  const v = new DataView(fmt.buffer);
  v.setUint16(0, f.extensible ? 0xfffe : format, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, bits, true);
  if (f.extensible) {
    v.setUint16(16, 22, true); // cbSize
    v.setUint16(18, bits, true); // valid bits
    v.setUint32(20, 0, true); // channel mask
    v.setUint32(24, format, true); // the sub-format GUID: the format code, then KSDATAFORMAT's fixed tail
    fmt.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 28);
  }
  const data = sampleBytes({ samples: f.samples, bits, format });
  const parts = [
    ascii("WAVE"),
    chunk("fmt ", fmt),
    ...(f.extra ?? []).map(([id, body]) => chunk(id, body)),
    chunk("data", data, f.dataSize),
  ];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.byteLength;
  }
  return chunk("RIFF", body, f.riffSize ?? body.byteLength);
}
