// "Nothing written in plaintext" (pure file reads): every regular file under some folders that holds a marker value
// of the source data. Symbolic links are not followed (a pod folder links to shared, read-only things).
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

interface PlaintextScan {
  /** Regular files read. */
  files: number;
  /** Files (under a root) that hold the marker. */
  hits: string[];
}

/** Files under `roots` whose bytes contain `marker`, leaving out those `skip` accepts (path relative to its root). */
export function scanForMarker(
  roots: string[],
  marker: string,
  skip: (rel: string) => boolean = () => false,
): PlaintextScan {
  const needle = Buffer.from(marker, "utf8");
  const scan: PlaintextScan = { files: 0, hits: [] };
  const walk = (root: string, dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // gone meanwhile, or not ours to read
    }
    for (const name of names) {
      const file = join(dir, name);
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (!st || st.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(root, file);
      else if (st.isFile() && !skip(relative(root, file))) {
        scan.files++;
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch {
          continue;
        }
        if (bytes.includes(needle)) scan.hits.push(file);
      }
    }
  };
  for (const root of roots) if (existsSync(root)) walk(root, root);
  return scan;
}
