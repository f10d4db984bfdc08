// Which requests a pod captures: a seeded generator per pod (mulberry32 over an FNV-1a hash of the pod name), so a
// pod's choices repeat for the same traffic order and two pods do not pick in lockstep. Cheap enough for every request.

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A function that answers true for about `rate` of its calls (always true at rate 1). */
export function sampler(rate: number, seed: string): () => boolean {
  if (rate >= 1) return () => true;
  let state = fnv1a(seed);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < rate;
  };
}
