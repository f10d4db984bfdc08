// A Python venv with pinned packages for a bench's peers, under ~/.cache/liftoff/venvs (LIFTOFF_CACHE): created and
// filled on first use, reused while its `.complete` marker lists the same pins.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const CACHE = process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff");

/** The venv's python; `name` is the folder under venvs/. */
export function pinnedVenv(name: string, pins: readonly string[], log: (m: string) => void): string {
  const venv = path.join(CACHE, "venvs", name);
  const py = path.join(venv, "bin", "python");
  const marker = path.join(venv, ".complete");
  const want = `${pins.join("\n")}\n`;
  if (existsSync(marker) && readFileSync(marker, "utf8") === want) return py;
  log(`installing ${pins.join(" ")} into ${venv} (once) …`);
  if (!existsSync(py)) execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  execFileSync(py, ["-m", "pip", "install", "--quiet", ...pins], { stdio: "inherit" });
  writeFileSync(marker, want);
  return py;
}
