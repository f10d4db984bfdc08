import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, get as httpsGet } from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ensurePki, issueServingCert } from "../../../devcluster/cluster/pki.js";
import { selfSignedCert } from "../../../test/support/self-signed.js";
import { clients } from "./grpc/protos.js";
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

  it("finding: runtime HTTP and gRPC had no TLS option — with --tls-cert-file/--tls-key-file both speak TLS only", async () => {
    const { root } = await modelOnPvc();
    // A self-signed certificate for 127.0.0.1, as cert-manager would mount one (tls.crt, tls.key).
    const { cert, key } = selfSignedCert(root);
    const ca = await readFile(cert);
    const s = await startServe(flags(root, ["--tls-cert-file", cert, "--tls-key-file", key, "--grpc-port", "0"]), {});
    try {
      await s.loaded;
      const port = (s.app.server.address() as { port: number }).port;
      const status = await new Promise<number | undefined>((resolve, reject) =>
        httpsGet({ host: "127.0.0.1", port, path: "/v2/health/ready", ca }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on("error", reject),
      );
      expect(status).toBe(200);
      // Plain HTTP on the same port gets no answer.
      await expect(fetch(`http://127.0.0.1:${port}/v2/health/ready`)).rejects.toThrow();
      const live = (creds: grpc.ChannelCredentials) =>
        new Promise<unknown>((resolve, reject) => {
          const client = new (clients().Inference)(`127.0.0.1:${s.grpc?.port}`, creds);
          const call = client.ServerLive as (...a: unknown[]) => void;
          call.call(client, {}, { deadline: Date.now() + 10_000 }, (err: Error | null, res: unknown) => {
            client.close();
            if (err) reject(err);
            else resolve(res);
          });
        });
      expect(await live(grpc.credentials.createSsl(ca))).toEqual({ live: true });
      await expect(live(grpc.credentials.createInsecure())).rejects.toThrow();
    } finally {
      await s.shutdown();
    }
    // One without the other, an unreadable file and a key that is not the certificate's: one line at start.
    await expect(startServe(flags(root, ["--tls-cert-file", cert]), {})).rejects.toThrow(
      "--tls-cert-file and --tls-key-file go together",
    );
    await expect(
      startServe(flags(root, ["--tls-cert-file", cert, "--tls-key-file", path.join(root, "nope")]), {}),
    ).rejects.toThrow(`cannot read --tls-key-file ${path.join(root, "nope")}: ENOENT`);
    await expect(startServe(flags(root, ["--tls-cert-file", cert, "--tls-key-file", cert]), {})).rejects.toThrow(
      "--tls-cert-file and --tls-key-file are not a matching PEM certificate and key",
    );
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

  it("with monitoring and the operator's report channel, pushes /monitoring's snapshot with the pod's token", async () => {
    const { root } = await modelOnPvc();
    const dir = await tempDir();
    const pki = ensurePki(path.join(dir, "pki"), "10.0.0.1");
    const tls = issueServingCert(pki, "report", ["127.0.0.1"]);
    const pushes: { path: string; auth: string; body: { windowSeconds?: number; serving?: unknown } }[] = [];
    const operator = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        pushes.push({
          path: req.url ?? "",
          auth: req.headers.authorization ?? "",
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => operator.listen(0, "127.0.0.1", r));
    const port = (operator.address() as { port: number }).port;
    const tokenFile = path.join(dir, "token");
    await writeFile(tokenFile, "pod-token\n");
    const env = {
      LIFTOFF_REPORT_URL: `https://127.0.0.1:${port}/v1/report`,
      LIFTOFF_REPORT_TOKEN_FILE: tokenFile,
      LIFTOFF_REPORT_CA: readFileSync(tls.ca, "utf8"),
    };
    const s = await startServe(flags(root, ["--feedback", "true", "--monitoring-report-seconds", "1"]), env);
    try {
      await s.loaded;
      await until(() => pushes.length > 0, "a monitoring push");
      expect(pushes[0]).toMatchObject({ path: "/v1/monitoring", auth: "Bearer pod-token" });
      expect(pushes[0]?.body.windowSeconds).toBe(600);
      // The serving counts travel too (the canary's judge reads them): no request yet.
      expect(pushes[0]?.body.serving).toMatchObject({
        requests: 0,
        errors: 0,
        latencyMs: { bounds: expect.any(Array) },
      });
    } finally {
      await s.shutdown();
      operator.closeAllConnections();
      await new Promise((r) => operator.close(r));
    }
    // A half-set channel is a configuration error at start, before anything listens.
    await expect(
      startServe(flags(root, ["--feedback", "true"]), { LIFTOFF_REPORT_URL: env.LIFTOFF_REPORT_URL }),
    ).rejects.toThrow(/LIFTOFF_REPORT_TOKEN_FILE or LIFTOFF_REPORT_CA is not/);
  });
});
