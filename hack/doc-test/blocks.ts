// The shell blocks of a Markdown page, as the doc test runs them (pure): every ```sh / ```bash block, what the page
// says about it in the HTML comment just above it, and the ```text block right below it, which is its printed
// output. Comment forms (invisible on the rendered page):
//   <!-- doc-test: skip: REASON -->   not run here, for the reason given (needs Docker, starts a second cluster…)
//   <!-- doc-test: background -->     started and left running (a server the next blocks talk to) until the page ends
// A ```text block after a block that is skipped or in the background is documentation only.

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Why it is not run; undefined when it runs. */
  skip?: string;
  background: boolean;
  /** The output the page prints for it (the following ```text block), compared with expected-output.ts. */
  expected?: string;
}

const SHELL = new Set(["sh", "bash", "shell"]);
const DIRECTIVE = /^<!--\s*doc-test:\s*(.*?)\s*-->$/;

export interface Fence {
  line: number;
  lang: string;
  body: string;
  /** The doc-test comment on the last non-blank line before the fence, if any. */
  directive?: string;
  /** Only blank lines between the previous fence's end and this one. */
  adjacent: boolean;
}

/** Every fenced code block of the page, in order. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const out: Fence[] = [];
  let lastEnd = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i] ?? "");
    if (!open) continue;
    const marker = open[2] ?? "```";
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? "").trim().startsWith(marker); i++) body.push(lines[i] ?? "");
    let prev = start - 1;
    while (prev >= 0 && (lines[prev] ?? "").trim() === "") prev--;
    const directive = DIRECTIVE.exec((lines[prev] ?? "").trim())?.[1];
    out.push({
      line: start + 1,
      lang: (open[3] ?? "").toLowerCase(),
      body: body.join("\n"),
      ...(directive !== undefined ? { directive } : {}),
      adjacent: prev === lastEnd,
    });
    lastEnd = i;
  }
  return out;
}

export class DirectiveError extends Error {
  override name = "DirectiveError";
}

export function shellBlocks(markdown: string): ShellBlock[] {
  const all = fences(markdown);
  const blocks: ShellBlock[] = [];
  all.forEach((f, i) => {
    if (!SHELL.has(f.lang)) return;
    const block: ShellBlock = { line: f.line, code: f.body, background: false };
    const d = f.directive;
    if (d !== undefined) {
      const skip = /^skip\s*[:—–-]\s*(\S.*)$/.exec(d);
      if (skip) block.skip = skip[1] ?? "";
      else if (d === "background") block.background = true;
      else throw new DirectiveError(`line ${f.line}: unknown doc-test comment "${d}" (skip: REASON, or background)`);
    }
    const next = all[i + 1];
    if (next && next.lang === "text" && next.adjacent && next.directive === undefined) block.expected = next.body;
    blocks.push(block);
  });
  return blocks;
}
