/**
 * What the official-client tests need: the project's Python venv (created once by
 * hack/test-venv.sh, which prints its progress) and a real runtime process.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pollUntil } from "../support/poll.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let venv: Promise<string> | undefined;

/** The venv's python; the first call may take minutes (pip), later ones are instant. */
export function venvPython(): Promise<string> {
  venv ??= new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, "hack/test-venv.sh")], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`hack/test-venv.sh exited ${code}`))));
  });
  return venv;
}

/** The lines a hack/ script prints on stdout (a folder, a python) once it fetched or built what it needs. */
export function hackScriptLines(script: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, script)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    // "close", not "exit": stdout may still hold unread output when the process exits.
    p.on("close", (code) =>
      code === 0 ? resolve(out.trim().split("\n")) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

/** Runs a program of the venv; stdin in, stdout out (both outputs shown on failure). */
export function python(py: string, args: string[], stdin = "", cwd = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      py,
      args,
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3", PYTHONDONTWRITEBYTECODE: "1" },
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${args[0]} failed (${err.code}):\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(stdin);
  });
}

export interface RuntimeProcess {
  http: string;
  grpc: string;
  stop(): Promise<void>;
}

/** `liftoff-runtime serve` as its own process (tsx, no build needed), HTTP and gRPC on free ports, once ready. */
export async function startRuntime(modelDir: string, extra: string[] = []): Promise<RuntimeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "runtime/src/main.ts"),
      "serve",
      "--model-uri",
      modelDir,
      "--model-name",
      "m",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--grpc-port",
      "0",
      // cpu unless the caller names one (a SavedModel runs on libtensorflow: --backend tensorflow).
      ...(extra.includes("--backend") ? [] : ["--backend", "cpu"]),
      ...extra,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = (re: RegExp) => async () => re.exec(log)?.[1];
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    await exited;
  };
  try {
    const http = await pollUntil("the runtime's HTTP port", port(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/));
    const grpc = await pollUntil("the runtime's gRPC port", port(/gRPC listening on 127\.0\.0\.1:(\d+)/));
    const base = `http://127.0.0.1:${http}`;
    await pollUntil("the model to be ready", async () => (await fetch(`${base}/v2/health/ready`)).ok, {
      timeoutMs: 60_000,
    });
    return { http: `127.0.0.1:${http}`, grpc: `127.0.0.1:${grpc}`, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nruntime log:\n${log.slice(-2000)}`);
  }
}
