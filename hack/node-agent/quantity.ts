// Kubernetes resource quantities ("500m", "2Gi", "1e3") as plain numbers (pure).
const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(text: string | number): number {
  if (typeof text === "number") return text;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(text.trim());
  const factor = m ? SUFFIXES[m[2] ?? ""] : undefined;
  if (!m || factor === undefined || Number.isNaN(Number(m[1]))) throw new Error(`invalid quantity "${text}"`);
  return Number(m[1]) * factor;
}
