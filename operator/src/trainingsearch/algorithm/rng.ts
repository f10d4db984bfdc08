// Seeded randomness: every draw comes from a stream keyed by (seed, trial index, purpose), so a trial's parameters
// follow from the seed and its index alone (an operator restart or another order of reconciles draws the same), and
// adding a parameter does not shift the draws of the others. FNV-1a hashes the key, mulberry32 (Tommy Ettinger's
// public-domain 32-bit generator, as runtime/src/serve/capture/sampler.ts) makes the stream.

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform generator on [0, 1). */
export type Random = () => number;

/** mulberry32 seeded with a 32-bit integer. */
function mulberry32(seed: number): Random {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stream for one purpose (a parameter's name, or "tpe:" + name) of trial `index` in a search seeded `seed`. */
export function streamFor(seed: number, index: number, purpose: string): Random {
  return mulberry32(fnv1a(`${seed}/${index}/${purpose}`));
}

/** A standard normal draw (Box-Muller; 1 - u keeps the logarithm finite). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
