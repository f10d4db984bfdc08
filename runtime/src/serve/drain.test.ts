/**
 * Scale-in with keep-alive clients (issue #30): a pod that gets SIGTERM while a client streams requests to it over
 * kept-alive connections must fail none of them. Real servers on ports, a real keep-alive client, and a balancer
 * that does what kube-proxy does: new connections go to the endpoints of the moment, established ones stay pinned
 * to their pod whatever the endpoints say.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { Agent, type ClientRequestArgs, request } from "node:http";
import { connect, type Socket } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { buildHttpApp } from "./http/app.js";
import type { EmbeddingHost } from "./llm/embedding-host.js";
import type { LlmHost } from "./llm/llm-host.js";
import { RuntimeMetrics } from "./metrics.js";
import { ModelHost } from "./model-host.js";
import { type Running, startServe } from "./start.js";
import { saveLayersModel, tempDir, tinyDense } from "./test-helpers.js";

/** Polls `check` until it is true or the deadline passes (no fixed sleeps). */
async function until(check: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function serve(extra: string[]): Promise<Running & { port: number }> {
  const root = await tempDir();
  const dir = path.join(root, "claim", "models", "m");
  await mkdir(dir, { recursive: true });
  await saveLayersModel(tinyDense(), dir);
  const digest = createHash("sha256")
    .update(await readFile(path.join(dir, "model.json")))
    .update(await readFile(path.join(dir, "weights.bin")))
    .digest("hex");
  const s = await startServe(
    [
      ...["--model-uri", "pvc://claim/models/m", "--pvc-root", root, "--model-name", "m"],
      ...["--model-digest", `sha256:${digest}`, "--host", "127.0.0.1", "--port", "0", "--backend", "cpu"],
      ...["--log-level", "silent", ...extra],
    ],
    {},
  );
  await s.loaded;
  return Object.assign(s, { port: (s.app.server.address() as { port: number }).port });
}

/** kube-proxy's part: each new connection goes to the next endpoint of the moment (round robin). */
class Balancer extends Agent {
  endpoints: number[] = [];
  private next = 0;
  override createConnection(_opts: ClientRequestArgs): Duplex {
    const port = this.endpoints[this.next++ % this.endpoints.length] ?? 0;
    return connect({ host: "127.0.0.1", port });
  }
}

interface Answer {
  /** The pod's port (which pod answered). */
  pod: number;
  status: number;
  connection: string | undefined;
  /** Sent after SIGTERM reached the pod. */
  afterSigterm: boolean;
}

const BODY = JSON.stringify({ instances: [[1, 2, 3]] });

/** One V1 predict through `agent`; resolves with who answered and how, rejects on a reset or refused connection. */
function predict(agent: Agent, afterSigterm: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "service.invalid",
        path: "/v1/models/m:predict",
        method: "POST",
        headers: { connection: "keep-alive" },
      },
      (res) => {
        const pod = (res.socket as Socket).remotePort ?? 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          const status = res.statusCode ?? 0;
          if (status !== 200 || body !== '{"predictions":[[4.5,4.5]]}')
            return reject(new Error(`answered ${status}: ${body}`));
          const header = res.headers.connection;
          resolve({ pod, status, connection: header, afterSigterm });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(BODY);
  });
}

describe("draining on scale-in", { timeout: 60_000 }, () => {
  it("scale-in: a keep-alive client's steady stream through SIGTERM fails no request; replies while draining say Connection: close and the client reconnects to the pod that stays", async () => {
    // The pod going away (batched, so requests wait in its queue) and the one that stays.
    const going = await serve(["--shutdown-delay-ms", "5000", "--max-batch-size", "8", "--max-latency-ms", "10"]);
    const staying = await serve([]);
    // The worst case for the going pod: all traffic on it until the endpoints drop it.
    const balancer = Object.assign(new Balancer({ keepAlive: true, maxSockets: 4 }), { endpoints: [going.port] });
    // A keep-alive connection to the going pod that is idle from before SIGTERM to the end.
    const idle = Object.assign(new Balancer({ keepAlive: true }), { endpoints: [going.port] });
    let idleSocket: Socket | undefined;
    idle.on("free", (socket: Socket) => {
      idleSocket = socket;
    });
    const answers: Answer[] = [];
    const failures: string[] = [];
    let sigterm = false;
    let streaming = true;
    // Four clients, each sending its next request as soon as the last is answered.
    const workers = Array.from({ length: 4 }, async () => {
      while (streaming) {
        try {
          answers.push(await predict(balancer, sigterm));
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });
    const drained = (pod: number) => answers.filter((a) => a.afterSigterm && a.pod === pod).length;
    try {
      await predict(idle, false);
      await until(() => idleSocket !== undefined, "the idle connection to be kept alive");
      await until(() => answers.length >= 20, "traffic on the going pod");

      // SIGTERM (what serve's signal handler calls): readiness fails at once.
      const done = going.shutdown();
      sigterm = true;
      expect(going.modelHost.ready).toBe(false);
      expect((await fetch(`http://127.0.0.1:${going.port}/v2/health/ready`)).status).toBe(503);
      // The endpoints lag behind: new connections still reach the going pod, and it answers them.
      await until(() => drained(going.port) >= 20, "answers from the draining pod");
      // Still within the delay (5 s): the connection idle since before SIGTERM is still open.
      expect(going.app.server.listening).toBe(true);
      expect(idleSocket?.destroyed).toBe(false);
      // The endpoints drop it: new connections go to the pod that stays; open ones stay pinned until closed.
      balancer.endpoints = [staying.port];
      await until(() => drained(staying.port) >= 40, "the stream to go on at the pod that stays");
      await done;
      // After the delay the pod closed its idle keep-alive connection, and nothing it had begun failed.
      await until(() => idleSocket?.destroyed === true, "the idle connection to be closed by the pod");
      const finished = answers.length;
      await until(() => answers.length >= finished + 20, "the stream to go on after the pod exited");
    } finally {
      streaming = false;
      await Promise.all(workers);
      balancer.destroy();
      idle.destroy();
      await staying.shutdown();
      await going.shutdown();
    }
    expect(failures).toEqual([]);
    // Every reply of the draining pod closes its connection (those that began before SIGTERM too); the pod that
    // stays keeps its connections alive.
    const fromGoing = answers.filter((a) => a.afterSigterm && a.pod === going.port);
    expect(fromGoing.length).toBeGreaterThanOrEqual(20);
    expect(fromGoing.filter((a) => a.connection !== "close")).toEqual([]);
    expect(answers.filter((a) => a.pod === staying.port && a.connection === "close")).toEqual([]);
  });

  it("scale-in: a request begun before the listener closes (its body still arriving) is answered, not reset", async () => {
    const going = await serve(["--shutdown-delay-ms", "200"]);
    const half = BODY.length >> 1;
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: going.port,
          path: "/v1/models/m:predict",
          method: "POST",
          headers: { "content-length": String(BODY.length), connection: "keep-alive" },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        },
      );
      req.on("error", reject);
      // Headers and half the body; SIGTERM once the pod has begun the request.
      going.app.server.once("request", () => {
        going.shutdown().catch(reject);
        // The rest of the body once the delay is over and the listener is closed.
        until(() => !going.app.server.listening, "the listener to close").then(() => req.end(BODY.slice(half)), reject);
      });
      req.write(BODY.slice(0, half));
    });
    const r = await answer;
    expect(r).toEqual({ status: 200, connection: "close", body: '{"predictions":[[4.5,4.5]]}' });
    await going.shutdown();
  });

  it("scale-in: a draining gguf pod still answers its OpenAI routes (chat, embeddings), with Connection: close", async () => {
    const modelHost = new ModelHost({
      name: "m",
      version: "1",
      metrics: new RuntimeMetrics("m"),
      maxBatchSize: 1,
      maxLatencyMs: 0,
    });
    const app = await buildHttpApp({
      modelHost,
      limits: { maxRequestRows: 8, bodyLimitBytes: 4096 },
      bodyLimitBytes: 4096,
      logLevel: "silent",
      openai: true,
    });
    const generation = { text: "hi", promptTokens: 1, completionTokens: 1, finishReason: "stop" as const };
    modelHost.llm = { admit: async () => ({ promptTokens: 1, run: async () => generation }) } as unknown as LlmHost;
    try {
      modelHost.startDraining();
      const chat = await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
      });
      modelHost.llm = undefined;
      modelHost.embedder = {
        dimensions: 2,
        embed: async () => ({ vectors: [new Float32Array([1, 2])], promptTokens: 1 }),
      } as unknown as EmbeddingHost;
      const embeddings = await app.inject({
        method: "POST",
        url: "/v1/embeddings",
        payload: { model: "m", input: "a" },
      });
      expect([chat.statusCode, chat.headers.connection, embeddings.statusCode, embeddings.headers.connection]).toEqual([
        200,
        "close",
        200,
        "close",
      ]);
      expect((await app.inject({ url: "/v2/health/ready" })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});
