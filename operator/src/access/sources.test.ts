// The two ways audit lines arrive: a file device's log tailed (appends, partial lines, rotation) and a socket
// device's TCP stream (lines split across packets, several connections).
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pollUntil } from "../../../test/support/poll.js";
import { tailAuditFile } from "./file-source.js";
import { LineSplitter, MAX_LINE_BYTES } from "./lines.js";
import { listenAuditSocket } from "./socket-source.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("LineSplitter", () => {
  it("joins lines split across chunks and skips a line over the bound whole", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push(Buffer.from('{"a":'));
    s.push(Buffer.from('1}\n{"b":2}\n\n{"c"'));
    s.push(Buffer.from(":3}\n"));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    s.push(Buffer.alloc(MAX_LINE_BYTES + 1, 120));
    s.push(Buffer.from('xx\n{"d":4}\n'));
    expect(lines.at(-1)).toBe('{"d":4}');
    expect(lines.length).toBe(4);
  });
});

describe("tailAuditFile", () => {
  it("reads the log from its start, then appends as they come, a partial line once it is whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "liftoff-audit-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "audit.log");
    writeFileSync(file, "one\ntwo\n");
    const lines: string[] = [];
    const tail = tailAuditFile(file, (l) => lines.push(l), { pollMs: 20 });
    cleanups.push(() => tail.stop());
    await tail.caughtUp();
    expect(lines).toEqual(["one", "two"]);
    appendFileSync(file, "thr");
    await tail.caughtUp();
    expect(lines).toEqual(["one", "two"]);
    appendFileSync(file, "ee\n");
    await tail.caughtUp();
    expect(lines).toEqual(["one", "two", "three"]);
  });

  it("starts again at the top of a rotated or truncated log, and waits for one that is not there yet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "liftoff-audit-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "audit.log");
    const lines: string[] = [];
    const tail = tailAuditFile(file, (l) => lines.push(l), { pollMs: 20 });
    cleanups.push(() => tail.stop());
    await tail.caughtUp();
    expect(lines).toEqual([]);
    writeFileSync(file, "a-long-first-line\n");
    await tail.caughtUp();
    renameSync(file, `${file}.1`); // logrotate, then Vault reopens on SIGHUP
    writeFileSync(file, "b\n");
    await tail.caughtUp();
    writeFileSync(file, "c\n"); // truncated in place, shorter than what was read
    await tail.caughtUp();
    expect(lines).toEqual(["a-long-first-line", "b", "c"]);
  });
});

describe("listenAuditSocket", () => {
  it("takes lines from each connection, however the stream is cut", async () => {
    const lines: string[] = [];
    const src = await listenAuditSocket("127.0.0.1", 0, (l) => lines.push(l));
    cleanups.push(() => src.stop());
    const send = (parts: string[]) =>
      new Promise<void>((resolve, reject) => {
        const c = connect(src.port, "127.0.0.1", async () => {
          for (const p of parts) {
            c.write(p);
            await new Promise((r) => setImmediate(r));
          }
          c.end(resolve);
        });
        c.on("error", reject);
      });
    await send(['{"x":', '1}\n{"y"', ":2}\n"]);
    await send(['{"z":3}\n']);
    await pollUntil("three lines", async () => lines.length === 3);
    expect(lines).toEqual(['{"x":1}', '{"y":2}', '{"z":3}']);
  });
});
