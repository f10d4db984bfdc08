// The executable itself (not main() in-process): a reader that closes the pipe early, as `| head -1` does, must end
// the plugin quietly, never with Node's EPIPE stack trace.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";

describe("kubectl-liftoff as a process", () => {
  it("exits 0 without a stack trace when stdout's reader has gone", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "plugin", "src", "main.ts"), "--help"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Closed before the process has started up: its first write meets a pipe with no reader.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
