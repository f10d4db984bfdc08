// Does a block's output match what the page prints (pure)? Exact line by line after trimming trailing spaces, with
// two ways to leave out what changes from run to run (ages, timings, temporary paths):
//   `...` or `…` inside a line matches any text on that line (`2857c32c…` checks the digest's first 12 digits);
//   a line that is only `...` or `…` matches any number of lines, none included.
// Everything else must be as printed, so a stale figure (a digest, a row count, a metric) fails.

const WILDCARD = /\.\.\.|…/;

function lineRegExp(expected: string): RegExp {
  const parts = expected.split(WILDCARD).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*?")}$`, "s");
}

function normalise(text: string): string[] {
  const lines = text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  while (lines.length > 0 && lines[0] === "") lines.shift();
  return lines;
}

const isGap = (line: string) => /^(\.\.\.|…)$/.test(line.trim());

/** undefined when `actual` matches `expected`; otherwise the first expected line that did not match, and why. */
export function outputMismatch(expected: string, actual: string): string | undefined {
  const want = normalise(expected);
  const got = normalise(actual);
  const memo = new Map<string, boolean>();
  // Backtracking over gap lines; pages print a few lines, so this stays small.
  const match = (w: number, g: number): boolean => {
    const key = `${w},${g}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    if (w === want.length) ok = g === got.length;
    else if (isGap(want[w] ?? "")) ok = match(w + 1, g) || (g < got.length && match(w, g + 1));
    else ok = g < got.length && lineRegExp(want[w] ?? "").test(got[g] ?? "") && match(w + 1, g + 1);
    memo.set(key, ok);
    return ok;
  };
  if (match(0, 0)) return undefined;
  // Say where: the longest prefix of expected lines that matches in order.
  let g = 0;
  for (let w = 0; w < want.length; w++) {
    const line = want[w] ?? "";
    if (isGap(line)) continue;
    const at = got.findIndex((l, i) => i >= g && lineRegExp(line).test(l));
    if (at < 0) return `expected line ${w + 1} not printed: ${JSON.stringify(line)}`;
    g = at + 1;
  }
  return `printed lines the page does not show, from output line ${g + 1}: ${JSON.stringify(got[g] ?? "")}`;
}
