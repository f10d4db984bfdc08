// Tails a file audit device's log (the local cluster's OpenBao writes .liftoff/<cluster>/openbao/audit.log) from its
// start, so the access record is recomputed from the whole log at every operator start (summary.ts makes that
// idempotent). Polls the size instead of fs.watch, which misses appends on some file systems and never reports a
// rotation; a new inode (rotated by logrotate + SIGHUP), a smaller size or other first bytes (copytruncate, then
// rewritten past where we were: each entry starts with its own time) start again at offset 0.
import { open } from "node:fs/promises";
import type { Logger } from "pino";
import { LineSplitter } from "./lines.js";

export interface AuditFileSource {
  stop(): Promise<void>;
  /** Resolves after the next poll has read everything written before it began (tests, the operator's start). */
  caughtUp(): Promise<void>;
}

const CHUNK = 1 << 20;
/** Bytes of the file's start remembered to tell the same file from a rewritten one. */
const HEAD = 256;

export function tailAuditFile(
  path: string,
  onLine: (line: string) => void,
  opts: { pollMs?: number; log?: Logger } = {},
): AuditFileSource {
  const pollMs = opts.pollMs ?? 1000;
  const split = new LineSplitter(onLine);
  let offset = 0;
  let inode: number | undefined;
  let head = Buffer.alloc(0);
  let stopped = false;
  let missingSaid = false;
  let timer: NodeJS.Timeout | undefined;
  let waiters: (() => void)[] = [];

  const poll = async (): Promise<void> => {
    const wake = waiters;
    waiters = [];
    try {
      const fh = await open(path, "r");
      missingSaid = false;
      try {
        const st = await fh.stat();
        const start = Buffer.alloc(Math.min(HEAD, st.size));
        await fh.read(start, 0, start.length, 0);
        const sameStart = start.subarray(0, head.length).equals(head);
        if (inode !== undefined && (st.ino !== inode || st.size < offset || !sameStart)) {
          opts.log?.info({ path }, "audit log replaced or truncated: reading it from the start");
          offset = 0;
          split.reset();
        }
        inode = st.ino;
        head = start;
        if (st.size > offset) {
          const buf = Buffer.allocUnsafe(CHUNK);
          while (!stopped) {
            const { bytesRead } = await fh.read(buf, 0, CHUNK, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            split.push(buf.subarray(0, bytesRead));
          }
        }
      } finally {
        await fh.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!missingSaid)
        opts.log?.warn({ path, code }, "cannot read the Vault audit log; the access record waits for it");
      missingSaid = true;
    } finally {
      for (const w of wake) w();
      if (!stopped) timer = setTimeout(() => void poll(), pollMs);
    }
  };
  void poll();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      for (const w of waiters) w();
      waiters = [];
    },
    caughtUp: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}
