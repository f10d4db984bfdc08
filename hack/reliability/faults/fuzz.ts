// Fault 8: HTTP and gRPC fuzzing of one runtime process started directly (no cluster): random and truncated bodies
// and protobufs, huge shapes, deeply nested JSON, an over-limit body and slowloris connections, with well-formed
// requests in between. Target: the process never exits, every well-formed request answers 200, no garbage gets a
// 5xx, no slow connection outlives the header timeout by more than 5 s, and the RSS stays under the 512 MiB a
// serving pod of the suite is given (the largest RSS seen is the figure stated).
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { type Child, startChild } from "../../../bench/lib/servers.js";
import { services } from "../../../runtime/src/serve/grpc/protos.js";
import { saveLayersModel, tempDir, tinyDense } from "../../../runtime/src/serve/test-helpers.js";
import { type Row, seconds } from "../table.js";
import { sleep } from "./serving.js";

const RSS_CAP_MB = 512;
/** The runtime's default --headers-timeout-ms. */
const HEADERS_TIMEOUT_MS = 10_000;

/** A seeded generator (mulberry32), so a failing input can be found again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

interface Tally {
  sent: number;
  /** Well-formed requests that did not answer 200, and garbage that got a 5xx (or no answer at all). */
  failed: number;
  problems: string[];
}

function fail(t: Tally, what: string): void {
  t.failed++;
  if (t.problems.length < 8) t.problems.push(what);
}

async function httpCall(
  port: number,
  path: string,
  body: Buffer | string,
  t: Tally,
  wellFormed: boolean,
  what = wellFormed ? "well-formed" : "garbage",
) {
  t.sent++;
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    if (wellFormed ? res.status !== 200 : res.status >= 500) fail(t, `${what} to ${path}: HTTP ${res.status}`);
  } catch (err) {
    fail(
      t,
      `${what} to ${path}: ${(err as Error).message} ${String((err as { cause?: { code?: string } }).cause?.code ?? "")}`,
    );
  }
}

/** The status line's code for a request announcing `length` body bytes and sending the first MiB of them: a
 * server that refuses on Content-Length answers before the body is in (raw socket: fetch would hide the answer
 * behind its own EPIPE). */
function statusOfLargeBody(port: number, path: string, length: number): Promise<number | string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let got = "";
    const finish = (v: number | string) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(30_000, () => finish("no answer in 30 s"));
    sock.on("connect", () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      );
      sock.write(Buffer.alloc(2 ** 20, 0x20));
    });
    sock.on("data", (d) => {
      got += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) finish(Number(m[1]));
    });
    sock.on("error", (err) => finish(`no answer (${err.message})`));
    sock.on("close", () => finish(`closed without an answer`));
  });
}

const V1 = "/v1/models/m:predict";
const V2 = "/v2/models/m/infer";
const GOOD_V1 = JSON.stringify({ instances: [[1, 2, 3]] });

async function httpFuzz(port: number, t: Tally, rnd: () => number): Promise<void> {
  const good = JSON.stringify({ inputs: [{ name: "dense_input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] });
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(rnd() * 4096);
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
    await httpCall(port, i % 2 ? V1 : V2, bytes, t, false, `random ${len} bytes`);
    const src = i % 2 ? GOOD_V1 : good;
    await httpCall(port, i % 2 ? V1 : V2, src.slice(0, Math.floor(rnd() * src.length)), t, false, "truncated JSON");
    if (i % 25 === 0) await httpCall(port, V1, GOOD_V1, t, true);
  }
  for (const depth of [1000, 100_000, 1_000_000]) {
    await httpCall(
      port,
      V1,
      `{"instances":${"[".repeat(depth)}${"]".repeat(depth)}}`,
      t,
      false,
      `${depth}-deep arrays`,
    );
    await httpCall(port, V2, `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`, t, false, `${depth}-deep objects`);
  }
  for (const shape of [
    [2 ** 31 - 1, 3],
    [1e9, 1e9],
    [1, 3, 1e12],
    [-1, 3],
    [0, 0],
    [1e308, 3],
  ]) {
    const body = JSON.stringify({ inputs: [{ name: "dense_input", shape, datatype: "FP32", data: [1, 2, 3] }] });
    await httpCall(port, V2, body, t, false, `shape [${shape}]`);
  }
  // Many rows (beyond --max-request-rows) and a body far over --body-limit-bytes.
  await httpCall(
    port,
    V1,
    JSON.stringify({ instances: Array.from({ length: 200_000 }, () => [1, 2, 3]) }),
    t,
    false,
    "200000 rows",
  );
  // A body far over the limit: the server may answer 413 and close before the client has sent it all.
  t.sent++;
  const status = await statusOfLargeBody(port, V1, 64 * 2 ** 20);
  if (status !== 413) fail(t, `64 MiB body to ${V1}: ${status}`);
  await httpCall(port, V1, GOOD_V1, t, true);
}

function grpcCall(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let status = "none";
    req.once("response", (h) => {
      status = String(h["grpc-status"] ?? status);
    });
    req.once("trailers", (h) => {
      status = String(h["grpc-status"] ?? status);
    });
    req.setTimeout(30_000, () => req.close());
    req.on("data", () => undefined);
    req.once("close", () => resolve(status));
    req.once("error", () => resolve("error"));
    req.end(body);
  });
}

function frame(message: Buffer, claimedLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(claimedLength, 1);
  return Buffer.concat([head, message]);
}

async function grpcFuzz(port: number, t: Tally, rnd: () => number): Promise<void> {
  const s = services();
  const infer = s.inference.ModelInfer;
  const predict = s.prediction.Predict;
  if (!infer || !predict) throw new Error("no ModelInfer/Predict in the runtime's gRPC services");
  const goodInfer = infer.requestSerialize({
    model_name: "m",
    inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3] }],
    raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3]).buffer)],
  } as never);
  const goodPredict = predict.requestSerialize({
    model_spec: { name: "m" },
    inputs: {
      dense_input: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: 1 }, { size: 3 }] }, float_val: [1, 2, 3] },
    },
  } as never);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  // Bad input must get a status (any), never a dropped stream; well-formed input OK (0).
  const call = async (path: string, body: Buffer, wellFormed: boolean) => {
    t.sent++;
    const status = await grpcCall(session, path, body);
    if (wellFormed ? status !== "0" : status === "none" || status === "error")
      fail(t, `${path}: grpc-status ${status}`);
  };
  for (let i = 0; i < 300; i++) {
    const [path, good] = i % 2 ? [infer.path, goodInfer] : [predict.path, goodPredict];
    const len = Math.floor(rnd() * 2048);
    await call(path, frame(Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)))), false);
    await call(path, frame(good.subarray(0, Math.floor(rnd() * good.length))), false);
    if (i % 25 === 0) await call(infer.path, frame(goodInfer), true);
  }
  for (const size of [2 ** 31 - 1, 1e12, 2 ** 53]) {
    const huge = predict.requestSerialize({
      model_spec: { name: "m" },
      inputs: { dense_input: { dtype: "DT_FLOAT", tensor_shape: { dim: [{ size }, { size: 3 }] }, float_val: [1] } },
    } as never);
    await call(predict.path, frame(huge), false);
    const hugeInfer = infer.requestSerialize({
      model_name: "m",
      inputs: [{ name: "dense_input", datatype: "FP32", shape: [size, 3] }],
      raw_input_contents: [Buffer.from(new Float32Array([1, 2, 3]).buffer)],
    } as never);
    await call(infer.path, frame(hugeInfer), false);
  }
  // A length prefix claiming 4 GiB with a few bytes behind it.
  await call(infer.path, frame(goodInfer, 0xffffffff), false);
  await call(infer.path, frame(goodInfer), true);
  session.close();
}

/** Sockets that send a request head one byte every 2 s; resolves with how long each stayed open (ms). */
async function slowloris(port: number, n: number, maxMs: number): Promise<number[]> {
  const head = Buffer.from(`POST ${V1} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: `);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve) => {
          const started = performance.now();
          const sock = net.connect(port, "127.0.0.1");
          let timer: NodeJS.Timeout | undefined;
          const end = () => {
            clearInterval(timer);
            sock.destroy();
            resolve(performance.now() - started);
          };
          sock.on("connect", () => {
            sock.write(head);
            timer = setInterval(() => {
              if (performance.now() - started > maxMs) end();
              else sock.write("a");
            }, 2000);
          });
          sock.on("data", () => undefined);
          sock.on("close", end);
          sock.on("error", end);
        }),
    ),
  );
}

export async function fuzz(): Promise<Row> {
  const dir = await tempDir("liftoff-fuzz-");
  await saveLayersModel(tinyDense(), dir);
  const runtime: Child = await startChild(
    process.execPath,
    [
      "runtime/dist/main.js",
      "serve",
      "--model-uri",
      dir,
      "--model-name",
      "m",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--grpc-port",
      "0",
      "--log-level",
      "info",
    ],
    /"listening on 127\.0\.0\.1:(\d+)/,
    "/v2/models/m/ready",
  );
  const grpcPort = Number(/gRPC listening on 127\.0\.0\.1:(\d+)/.exec(runtime.output())?.[1]);
  const pid = runtime.proc.pid;
  const baseline = rssMb(pid);
  let maxRss = baseline;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, rssMb(pid) || 0);
  }, 100);
  const t: Tally = { sent: 0, failed: 0, problems: [] };
  const rnd = random(24);
  const t0 = performance.now();
  let slowHeld: number[] = [];
  let alive = false;
  try {
    await httpFuzz(runtime.port, t, rnd);
    if (grpcPort) await grpcFuzz(grpcPort, t, rnd);
    else fail(t, "the runtime printed no gRPC port");
    // Slowloris with well-formed requests beside it: they must still be served.
    const slow = slowloris(runtime.port, 200, HEADERS_TIMEOUT_MS * 3);
    for (let i = 0; i < 20; i++) {
      await httpCall(runtime.port, V1, GOOD_V1, t, true);
      await sleep(500);
    }
    slowHeld = await slow;
    t.sent += slowHeld.length;
    const outlived = slowHeld.filter((ms) => ms > HEADERS_TIMEOUT_MS + 5000).length;
    for (let i = 0; i < outlived; i++) fail(t, "a slowloris connection outlived the header timeout by > 5 s");
    await httpCall(runtime.port, V1, GOOD_V1, t, true);
  } finally {
    clearInterval(sampler);
    alive = runtime.proc.exitCode === null && runtime.proc.signalCode === null;
    await runtime.stop();
  }
  if (!alive) {
    fail(
      t,
      `the runtime exited (${runtime.proc.exitCode ?? runtime.proc.signalCode}): ${runtime.output().slice(-300)}`,
    );
  }
  const ok = t.failed === 0 && alive && maxRss <= RSS_CAP_MB;
  const longest = Math.max(0, ...slowHeld);
  return {
    fault: "fuzz",
    load: "HTTP + gRPC fuzz, 200 slowloris sockets",
    sent: t.sent,
    failed: t.failed,
    dataLost: "-",
    recovery: alive ? "no crash" : "crashed",
    verdict: ok ? "pass" : "FAIL",
    note:
      `runtime RSS ${baseline.toFixed(0)} MB at start, at most ${maxRss.toFixed(0)} MB (cap ${RSS_CAP_MB} MB); ` +
      `slowloris sockets closed by the server after at most ${seconds(longest)} (header timeout ` +
      `${seconds(HEADERS_TIMEOUT_MS)}); ${seconds(performance.now() - t0)} in all` +
      (t.problems.length ? `; problems: ${t.problems.join("; ")}` : ""),
  };
}
