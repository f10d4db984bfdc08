/**
 * IEEE 754 half precision (FP16) ↔ numbers. FP16 tensors are held as their
 * 16-bit patterns in a Uint16Array, the form onnxruntime takes and V2 binary
 * carries; JSON carries them as numbers. Pure.
 */

/** The largest finite half float; JSON numbers beyond it are refused rather than rounded to Infinity. */
export const HALF_MAX = 65504;

/** Half bits → number (exact: every half float is a double). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Whether half bits are Infinity or NaN (exponent all ones). */
export function halfIsFinite(h: number): boolean {
  return (h & 0x7c00) !== 0x7c00;
}

/** Rounds half-way cases to even, as IEEE 754 (and numpy's astype(float16)) does. */
function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Number → half bits, rounded to nearest even straight from the double (no
 * float32 step, which could round twice). Beyond the half range: ±Infinity.
 */
export function numberToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  // Subnormals are multiples of 2^-24; the division and the rounding are exact in a double.
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}
