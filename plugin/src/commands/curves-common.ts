// What `curves` does the same for a TrainingJob and a TrainingSearch: the checked flags, writing the PNG, and --watch,
// which redraws on each change (in place on a TTY, frames a blank line apart otherwise) every 2 s until what it draws
// has ended or the user presses Ctrl-C.
import { writeFile } from "node:fs/promises";
import { PluginError } from "../cli/errors.js";
import type { Invocation } from "../cli/invocation.js";

const POLL_MS = 2000;

/** What the flags ask for, checked once for both kinds. */
export interface CurvesOptions {
  png?: string;
  size: { width: number; height: number };
  watch: boolean;
}

/** Writes a PNG, saying so on stderr; a folder that cannot be written is the user's to fix. */
export async function writePng(inv: Invocation, file: string, svg: string, what: string): Promise<void> {
  const { svgToPng } = await import("../chart/png.js");
  const out = await svgToPng(svg);
  await writeFile(file, out.png).catch((err: Error) => {
    throw new PluginError(
      "BadInput",
      `cannot write ${file}: ${err.message}`,
      "pass a --png path in a folder you can write to",
    );
  });
  inv.term.note(`wrote ${file} (${out.width}x${out.height}, ${what})`);
}

export async function watchFrames<M>(
  inv: Invocation,
  first: M,
  read: () => Promise<M>,
  render: (m: M) => string[],
  finished: (m: M) => boolean,
): Promise<number> {
  let model = first;
  let shown = "";
  for (;;) {
    const frame = render(model).join("\n");
    if (frame !== shown) {
      if (inv.term.isTTY) inv.term.write(`\u001b[H\u001b[2J${frame}\n`);
      else inv.term.write(`${shown ? "\n" : ""}${frame}\n`);
      shown = frame;
    }
    if (finished(model) || inv.isStopped()) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      inv.stopped,
      new Promise<void>((r) => {
        timer = setTimeout(r, POLL_MS);
      }),
    ]);
    clearTimeout(timer);
    if (inv.isStopped()) return 0;
    model = await read();
  }
}
