// Opacus' RDP accountant (hack/opacus-venv.sh builds its venv on first use) on a list of DP-SGD runs: the peer the
// DP-SGD accountant checks compare ε and σ with.
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface EpsilonCase {
  q: number;
  sigma: number;
  steps: number;
  delta: number;
}
export interface NoiseCase {
  q: number;
  steps: number;
  delta: number;
  target: number;
}

let venv: Promise<string> | undefined;

/** The Opacus venv's python; the first call may take minutes (pip, and the torch venv under it). */
function opacusPython(): Promise<string> {
  venv ??= new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, "hack/opacus-venv.sh")], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`hack/opacus-venv.sh exited ${code}`)),
    );
  });
  return venv;
}

/** ε of each run and σ for each target, as Opacus computes them. */
export async function opacusAccountant(
  epsilon: EpsilonCase[],
  noise: NoiseCase[] = [],
): Promise<{ opacus: string; epsilon: number[]; noise: number[] }> {
  const py = await opacusPython();
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      py,
      [path.join(ROOT, "test/support/opacus_accountant.py")],
      { env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONWARNINGS: "ignore" } },
      (err, stdout, stderr) => (err ? reject(new Error(`opacus_accountant.py failed: ${stderr}`)) : resolve(stdout)),
    );
    child.stdin?.end(JSON.stringify({ epsilon, noise }));
  });
  return JSON.parse(out);
}
