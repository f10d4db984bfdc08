// Numbers as a chart labels them: 4 significant digits, exponent form only for very small or large values.
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return "0";
  const a = Math.abs(n);
  if (a >= 1e-3 && a < 1e6) return String(Number(n.toPrecision(4)));
  return n.toExponential(2).replace(/\.?0+e/, "e");
}
