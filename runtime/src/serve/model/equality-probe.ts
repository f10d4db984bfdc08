/**
 * The fixed input and tolerance with which a faster path is checked against the
 * model at load (the fused Dense stack, the plain-JS kernel). Pure.
 */

/** A fixed pseudo-random input of `rows` × `width`. */
export function probeInput(rows: number, width: number): Float32Array {
  return Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 12.9898) * 2);
}

/** True when `got` equals `want` within `tol` (relative beyond magnitude 1). */
export function withinTolerance(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) {
    const w = want[i] as number;
    if (!(Math.abs((got[i] as number) - w) <= tol * Math.max(1, Math.abs(w)))) return false;
  }
  return true;
}
