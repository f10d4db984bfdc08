// Where the PyTorch image's Python is on this machine: the venv hack/pytorch-venv.sh builds (torch, pyarrow),
// asked once when the agent starts. Not built: undefined, and PyTorch workers fail saying torch is missing.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export function pytorchPython(repoRoot: string, log: (line: string) => void): string | undefined {
  try {
    const out = execFileSync("bash", [join(repoRoot, "hack", "pytorch-venv.sh"), "--check"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).trim();
    return out || undefined;
  } catch {
    log("the pytorch venv is not built (hack/pytorch-venv.sh): PyTorch workers will not find torch");
    return undefined;
  }
}
