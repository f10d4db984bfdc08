// Seeded randomness for reproducible training. TensorFlow.js draws every random number (weight initialisers,
// dropout masks) from seedrandom seeded by Math.random() when no seed is given, so a train process replaces
// Math.random with this generator: same seed ⇒ same initial weights and masks. Its state is four 32-bit words,
// saved in checkpoints so a resumed run continues the same sequence.

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand. */
export class Sfc32 {
  private s: Uint32Array;
  constructor(seed: number | readonly number[]) {
    if (typeof seed === "number") {
      this.s = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
      for (let i = 0; i < 15; i++) this.nextUint32(); // mix the seed in
    } else {
      if (seed.length !== 4) throw new Error("an sfc32 state has four words");
      this.s = Uint32Array.from(seed);
    }
  }

  nextUint32(): number {
    const s = this.s;
    const a = s[0] as number;
    const b = s[1] as number;
    const c = s[2] as number;
    const d = s[3] as number;
    const t = (((a + b) >>> 0) + d) >>> 0;
    s[3] = (d + 1) >>> 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) >>> 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  state(): number[] {
    return Array.from(this.s);
  }

  /** Continues from a saved state(). */
  restore(words: readonly number[]): void {
    if (words.length !== 4) throw new Error("an sfc32 state has four words");
    this.s = Uint32Array.from(words);
  }
}

/** Derives an independent stream for (seed, purpose, index), e.g. the shuffle order of one epoch. */
export function streamFor(seed: number, purpose: number, index: number): Sfc32 {
  const r = new Sfc32(seed);
  return new Sfc32([r.nextUint32() ^ purpose, r.nextUint32() ^ index, r.nextUint32(), (seed ^ 0x85ebca6b) >>> 0]);
}

/** Fisher–Yates permutation of 0 … n-1 in place. */
export function permutation(n: number, rng: Sfc32): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/** Makes `rng` the process's Math.random (see the file comment); returns the function that undoes it. */
export function installAsMathRandom(rng: Sfc32): () => void {
  const original = Math.random;
  Math.random = () => rng.next();
  return () => {
    Math.random = original;
  };
}
