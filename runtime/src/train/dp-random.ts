// DP-SGD's randomness: the Gaussian noise and the batches (a Poisson sample, or a shuffled order) of each step. Both must be unpredictable to whoever
// knows the spec (hyperparameters.seed is public in the TrainingJob): with the noise known, it can be subtracted; with
// the sample known, there is no amplification by sampling, and the accountant's ε would be a lie. So they come from
// AES-256-CTR under a secret 256-bit key drawn from node:crypto at a fresh start — a cryptographically secure stream
// (Opacus' secure_mode draws from a CSPRNG for the same reason) that is still resumable: the key and the block
// counter go into the checkpoint (checkpoint.ts LoopState.dp), so a resumed run draws the same numbers bit for bit.
// The key is as sensitive as the checkpoint's weights and lives beside them.
import { createCipheriv, randomBytes } from "node:crypto";

/** What a checkpoint keeps of the stream. */
export interface DpRandomState {
  /** The key, hex (64 digits). */
  key: string;
  /** AES blocks of the noise stream used so far. */
  noiseBlocks: number;
}

const NOISE = 0;
const SAMPLE = 1;
const SHUFFLE = 2;

/** `blocks` × 16 bytes of AES-256-CTR keystream for (domain, index), starting at block `from`. */
function keystream(key: Buffer, domain: number, index: number, from: number, blocks: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(domain, 0);
  iv.writeUInt32BE(index >>> 0, 4);
  iv.writeUInt32BE(Math.floor(from / 2 ** 32), 8);
  iv.writeUInt32BE(from >>> 0, 12);
  const c = createCipheriv("aes-256-ctr", key, iv);
  return Buffer.concat([c.update(Buffer.alloc(blocks * 16)), c.final()]);
}

/** Uniform doubles in [0, 1) from 8 bytes each (53 bits). */
function uniforms(bytes: Buffer, count: number): Float64Array {
  const u = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const hi = bytes.readUInt32BE(8 * i) >>> 5; // 27 bits
    const lo = bytes.readUInt32BE(8 * i + 4) >>> 6; // 26 bits
    u[i] = (hi * 67108864 + lo) / 9007199254740992;
  }
  return u;
}

export class DpRandom {
  private readonly key: Buffer;
  private noiseBlocks: number;

  constructor(state?: DpRandomState) {
    this.key = state ? Buffer.from(state.key, "hex") : randomBytes(32);
    if (this.key.length !== 32) throw new Error("a DP-SGD stream key has 32 bytes");
    this.noiseBlocks = state?.noiseBlocks ?? 0;
  }

  state(): DpRandomState {
    return { key: this.key.toString("hex"), noiseBlocks: this.noiseBlocks };
  }

  /** `count` draws of N(0, std²) (Box–Muller over pairs of the noise stream's uniforms), as float32. */
  gaussian(count: number, std: number): Float32Array {
    const pairs = Math.ceil(count / 2);
    const blocks = pairs; // two 8-byte uniforms per pair: one block
    const u = uniforms(keystream(this.key, NOISE, 0, this.noiseBlocks, blocks), 2 * pairs);
    this.noiseBlocks += blocks;
    const out = new Float32Array(count);
    for (let p = 0; p < pairs; p++) {
      const r = Math.sqrt(-2 * Math.log(1 - (u[2 * p] as number))) * std;
      const t = 2 * Math.PI * (u[2 * p + 1] as number);
      out[2 * p] = r * Math.cos(t);
      if (2 * p + 1 < count) out[2 * p + 1] = r * Math.sin(t);
    }
    return out;
  }

  /**
   * The rows of step `step` of epoch `epoch` under Poisson sampling: each of `rows` rows independently with
   * probability `rate`. A pure function of (key, epoch, step), so a resumed run resamples the same batches.
   */
  poissonSample(epoch: number, step: number, rows: number, rate: number): Uint32Array {
    const blocks = Math.ceil(rows / 2);
    const u = uniforms(keystream(this.key, SAMPLE, epoch, step * blocks, blocks), rows);
    const picked: number[] = [];
    for (let r = 0; r < rows; r++) if ((u[r] as number) < rate) picked.push(r);
    return Uint32Array.from(picked);
  }

  /** A secret permutation of 0 … rows-1 for epoch `epoch` (Fisher–Yates), for shuffled sampling. */
  permutation(epoch: number, rows: number): Uint32Array {
    const u = uniforms(keystream(this.key, SHUFFLE, epoch, 0, Math.ceil(rows / 2)), rows);
    const p = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) p[i] = i;
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor((u[i] as number) * (i + 1));
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }
}
