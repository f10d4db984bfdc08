// A deterministic .tar.gz: the same files give the same bytes on every machine (sorted entries, mtime 0, uid/gid 0,
// no user or group names, gzip without a timestamp), so the sha256 in the krew manifest can be checked by rebuilding.
import { gzipSync } from "node:zlib";

export interface TarEntry {
  name: string;
  data: Uint8Array;
  /** 0o755 for executables. */
  mode: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(e.name) > 100) throw new Error(`tar entry name too long: ${e.name}`);
  h.write(e.name, 0, "utf8");
  h.write(octal(e.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(e.data.byteLength, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii"); // mtime
  h.write("        ", 148, "ascii"); // checksum placeholder (spaces while summing)
  h.write("0", 156, "ascii"); // regular file
  h.write("ustar\u000000", 257, "binary");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

export function tarGz(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    parts.push(header(e), Buffer.from(e.data));
    const pad = (512 - (e.data.byteLength % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  // Node's gzip header carries no timestamp or file name (MTIME 0), so the bytes depend on the input alone.
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
