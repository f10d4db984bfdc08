/**
 * Rational resampling by a polyphase FIR filter, the algorithm of scipy.signal.resample_poly with its defaults
 * (a Kaiser-windowed sinc low-pass, β = 5, 10 zero crossings per side of the slower rate, zero padding at both
 * ends), so a numpy/scipy pipeline and the runtime give the same samples: the tests compare against scipy 1.17.
 * Output sample k sits at input time k·down/up, and the filter removes what the slower rate cannot carry (no
 * aliasing when downsampling, unlike linear interpolation). Pure, float64 throughout.
 */

/** The filter has 20·max(up, down) + 1 taps: this bounds it (and its cost) for any pair of rates a file claims. */
export const MAX_RATIO_TERM = 8192;

const KAISER_BETA = 5;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The reduced ratio up/down taking `from` Hz to `to` Hz. */
export function ratio(from: number, to: number): { up: number; down: number } {
  const g = gcd(from, to);
  return { up: to / g, down: from / g };
}

/** Why `from` → `to` cannot be resampled here (a filter too long for the ratio), or undefined when it can. */
export function ratioProblem(from: number, to: number): string | undefined {
  const { up, down } = ratio(from, to);
  if (Math.max(up, down) <= MAX_RATIO_TERM) return undefined;
  return `resampling ${from} Hz to ${to} Hz needs the ratio ${up}/${down}, whose terms exceed ${MAX_RATIO_TERM}; use a common sample rate`;
}

/** The modified Bessel function I0 by its power series (converges fast for the Kaiser window's |x| ≤ β). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** scipy.signal.firwin(2·half + 1, cutoff, window=("kaiser", 5)) with its default scaling (unit gain at DC). */
function lowPass(half: number, cutoff: number): Float64Array {
  const n = 2 * half + 1;
  const h = new Float64Array(n);
  const i0Beta = besselI0(KAISER_BETA);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const m = i - half;
    const x = Math.PI * cutoff * m;
    const sinc = m === 0 ? 1 : Math.sin(x) / x;
    const r = m / half;
    const w = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
    h[i] = cutoff * sinc * w;
    sum += h[i] as number;
  }
  for (let i = 0; i < n; i++) h[i] = (h[i] as number) / sum;
  return h;
}

/** `x` sampled at `from` Hz, resampled to `to` Hz: ceil(len·up/down) samples (scipy's length). */
export function resample(x: Float64Array, from: number, to: number): Float64Array {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1) {
    throw new RangeError(`sample rates must be positive integers, got ${from} and ${to}`);
  }
  const problem = ratioProblem(from, to);
  if (problem !== undefined) throw new RangeError(problem);
  const { up, down } = ratio(from, to);
  if (up === 1 && down === 1) return x.slice();
  const max = Math.max(up, down);
  const half = 10 * max;
  const h = lowPass(half, 1 / max);
  for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) * up;
  const n = x.length;
  const out = new Float64Array(Math.ceil((n * up) / down));
  // y[k] = Σ_j x[j] · h[half + k·down − j·up], over the j that keep the tap index inside the filter.
  for (let k = 0; k < out.length; k++) {
    const centre = half + k * down;
    const first = Math.max(0, Math.ceil((centre - 2 * half) / up));
    const last = Math.min(n - 1, Math.floor(centre / up));
    let acc = 0;
    for (let j = first, t = centre - first * up; j <= last; j++, t -= up) acc += (x[j] as number) * (h[t] as number);
    out[k] = acc;
  }
  return out;
}
