import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startServe } from "./start.js";
import { saveLayersModel, tempDir, tinyDense } from "./test-helpers.js";

/** Polls `check` until it is true or the deadline passes (no fixed sleeps). */
async function until(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function modelOnPvc() {
  const root = await tempDir();
  const dir = path.join(root, "claim", "models", "m");
  await mkdir(dir, { recursive: true });
  await saveLayersModel(tinyDense(), dir);
  const digest = createHash("sha256")
    .update(await readFile(path.join(dir, "model.json")))
    .update(await readFile(path.join(dir, "weights.bin")))
    .digest("hex");
  return { root, dir, digest };
}

const flags = (root: string, extra: string[] = []) => [
  "--model-uri",
  "pvc://claim/models/m",
  "--pvc-root",
  root,
  "--model-name",
  "m",
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  "--backend",
  "cpu",
  "--log-level",
  "silent",
  ...extra,
];

// Real servers and processes; allow for a loaded CI machine.
describe("serve", { timeout: 60_000 }, () => {
  it("loads from pvc:// with a matching digest, turns ready, and serves over HTTP", async () => {
    const { root, digest } = await modelOnPvc();
    const s = await startServe(flags(root, ["--model-digest", `sha256:${digest}`]), {});
    try {
      await s.loaded;
      expect(s.modelHost.ready).toBe(true);
      const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      const r = await fetch(`${url}/v1/models/m:predict`, {
        method: "POST",
        body: JSON.stringify({ instances: [[1, 2, 3]] }),
      });
      expect(await r.json()).toEqual({ predictions: [[4.5, 4.5]] });
      const meta = (await (await fetch(`${url}/v2/models/m`)).json()) as {
        parameters: { digest: string; backend: string };
      };
      expect(meta.parameters).toMatchObject({ digest: `sha256:${digest}`, backend: "cpu" });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^liftoff_model_load_seconds\{model="m",phase="build"\} \d/m);
      expect(metrics).toMatch(/^liftoff_runtime_backend_info\{backend="cpu",/m);
    } finally {
      await s.shutdown();
    }
  });

  it("--backend auto times the model on every backend and serves on the fastest", async () => {
    const { root } = await modelOnPvc();
    const s = await startServe(
      flags(root).map((a) => (a === "cpu" ? "auto" : a)),
      {},
    );
    try {
      await s.loaded;
      const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      const meta = (await (await fetch(`${url}/v2/models/m`)).json()) as { parameters: { backend: string } };
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`liftoff_runtime_backend_info{backend="${meta.parameters.backend}"`);
      expect(metrics).toMatch(/^liftoff_model_load_seconds\{model="m",phase="probe"\} \d/m);
      expect(s.modelHost.backend?.name).toBe(meta.parameters.backend);
    } finally {
      await s.shutdown();
    }
  });

  it("refuses to serve on a digest mismatch: load fails and readiness stays false", async () => {
    const { root } = await modelOnPvc();
    const s = await startServe(flags(root, ["--model-digest", `sha256:${"1".repeat(64)}`]), {});
    try {
      await expect(s.loaded).rejects.toThrow("model digest mismatch");
      expect(s.modelHost.ready).toBe(false);
      const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
      const r = await fetch(`${url}/v1/models/m:predict`, {
        method: "POST",
        body: JSON.stringify({ instances: [[1, 2, 3]] }),
      });
      expect([r.status, await r.json()]).toEqual([
        503,
        { error: "model 'm' is not ready", code: "LIFTOFF_ERR_NOT_READY" },
      ]);
    } finally {
      await s.shutdown();
    }
  });

  it("shutdown: readiness turns false at once and a queued request still completes", async () => {
    const { root } = await modelOnPvc();
    // A batch that would wait a minute: only the drain can send it in time.
    const s = await startServe(flags(root, ["--max-batch-size", "64", "--max-latency-ms", "60000"]), {});
    await s.loaded;
    const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
    const inFlight = fetch(`${url}/v1/models/m:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: [[1, 2, 3]] }),
    });
    await until(() => s.modelHost.queued === 1, "the request to be queued");
    const done = s.shutdown();
    expect(s.modelHost.ready).toBe(false);
    const r = await inFlight;
    expect([r.status, await r.json()]).toEqual([200, { predictions: [[4.5, 4.5]] }]);
    await done;
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
  });

  it("finding: during the shutdown delay the pod reports not ready but still answers what is routed to it", async () => {
    const { root } = await modelOnPvc();
    const s = await startServe(flags(root, ["--shutdown-delay-ms", "3000"]), {});
    await s.loaded;
    const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
    const done = s.shutdown();
    // Endpoints drop the pod on readiness (and on deletion); until then requests still arrive and must succeed.
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
    const r = await fetch(`${url}/v1/models/m:predict`, {
      method: "POST",
      body: JSON.stringify({ instances: [[1, 2, 3]] }),
    });
    expect([r.status, await r.json()]).toEqual([200, { predictions: [[4.5, 4.5]] }]);
    await done;
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
  });

  it("auth: tokens from --auth-token-file guard inference, not health", async () => {
    const { root } = await modelOnPvc();
    const file = path.join(root, "tokens");
    await writeFile(file, "# comment\nalpha\n\nbeta\n");
    const s = await startServe(flags(root, ["--auth-token-file", file]), {});
    try {
      await s.loaded;
      const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
      const predict = (token?: string) =>
        fetch(`${url}/v1/models/m:predict`, {
          method: "POST",
          body: JSON.stringify({ instances: [[1, 2, 3]] }),
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      expect((await predict()).status).toBe(401);
      expect((await predict("gamma")).status).toBe(401);
      expect((await predict("beta")).status).toBe(200);
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await s.shutdown();
    }
  });

  it("the real process: logs its port, serves, and exits 0 on SIGTERM", async () => {
    const { root } = await modelOnPvc();
    const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "main.ts");
    const args = flags(root).map((a) => (a === "silent" ? "info" : a));
    const child = spawn(process.execPath, ["--import", "tsx", main, "serve", ...args], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await until(() => /model m ready/.test(out), "the model to be ready", 60_000);
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      expect(port).toBeDefined();
      const r = await fetch(`http://127.0.0.1:${port}/v2/models/m/ready`);
      expect(r.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(out).toMatch(/SIGTERM received/);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("the real process exits 1 with one error line on a digest mismatch", async () => {
    const { root } = await modelOnPvc();
    const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "main.ts");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", main, "serve", ...flags(root, ["--model-digest", `sha256:${"2".repeat(64)}`])],
      {
        env: { PATH: process.env.PATH ?? "" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(
      /^liftoff-runtime: error: cannot load model pvc:\/\/claim\/models\/m: model digest mismatch: expected sha256:2{64}, got sha256:[0-9a-f]{64}; refusing to serve\n$/,
    );
  });
});
