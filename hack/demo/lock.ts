// One `npm start` at a time per worktree: a second one says which process holds the demo instead of fighting
// over the same cluster, ports and .liftoff/ state. A lock whose process is gone is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export class Busy extends Error {}

interface Holder {
  pid: number;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, "utf8")) as Holder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock or throws Busy naming the process that holds it; returns the release function. */
export function acquireLock(file: string, pid = process.pid): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid, since: new Date().toISOString() } satisfies Holder));
      closeSync(fd);
      return () => {
        if (readHolder(file)?.pid === pid) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readHolder(file);
      if (holder && holder.pid !== pid && alive(holder.pid)) {
        throw new Busy(
          `npm start is already running here (pid ${holder.pid}, since ${holder.since}); ` +
            `stop it with Ctrl-C in its terminal (or kill ${holder.pid}) before starting another`,
        );
      }
      rmSync(file, { force: true }); // left by a demo that was killed: take it over
    }
  }
  throw new Busy(`could not take the demo lock ${file}`);
}
