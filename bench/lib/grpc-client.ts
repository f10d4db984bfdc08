/**
 * A closed-loop gRPC load generator: `concurrency` calls in flight on one HTTP/2
 * connection (as a gRPC channel multiplexes them), each sending the next request
 * when its reply is in. Like the HTTP client (client.ts) it is deliberately
 * thin, so that the server's cost is what shows: node:http2 with the request
 * message serialised once (with the runtime's own service definitions, the
 * upstream .proto files) and only the gRPC status read from each reply. The
 * first reply is decoded in full, so a server answering garbage fails the run.
 * grpc-js's client, used here before, cost more CPU per call than the server.
 */
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import type * as grpc from "@grpc/grpc-js";
import { services } from "../../runtime/src/serve/grpc/protos.js";
import { type LoadResult, summarize } from "./client.js";

export interface GrpcLoad {
  port: number;
  service: "Inference" | "Prediction";
  method: "ModelInfer" | "Predict";
  request: object;
  concurrency: number;
  durationMs: number;
}

function methodOf(opts: GrpcLoad): grpc.MethodDefinition<object, object> {
  const s = services();
  const def = (opts.service === "Inference" ? s.inference : s.prediction)[opts.method];
  if (def === undefined) throw new Error(`no method ${opts.service}.${opts.method}`);
  return def as grpc.MethodDefinition<object, object>;
}

/** A length-prefixed gRPC message: flag 0 (uncompressed), big-endian length, bytes. */
function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

export async function grpcClosedLoop(opts: GrpcLoad): Promise<LoadResult> {
  const def = methodOf(opts);
  const body = frame(def.requestSerialize(opts.request));
  // Node's default 10 MB session memory resets streams (ENHANCE_YOUR_CALM) once 32 large requests wait in the client's
  // own send queue; gRPC's own clients (grpc-js, C-core) set no such bound either.
  const session = http2.connect(`http://127.0.0.1:${opts.port}`, { maxSessionMemory: 1024 });
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  const headers = { ":method": "POST", ":path": def.path, "content-type": "application/grpc", te: "trailers" };
  const call = (keep?: Buffer[]) =>
    new Promise<boolean>((resolve) => {
      const req = session.request(headers);
      let status: string | undefined;
      // A trailers-only reply (an error) carries grpc-status in its headers.
      req.once("response", (h) => {
        status = h["grpc-status"] as string | undefined;
      });
      req.once("trailers", (t) => {
        status = t["grpc-status"] as string | undefined;
      });
      req.on("data", (d: Buffer) => keep?.push(d));
      req.once("close", () => resolve(status === "0"));
      req.once("error", () => resolve(false));
      req.end(body);
    });
  const first: Buffer[] = [];
  if (!(await call(first))) throw new Error(`${def.path} failed on port ${opts.port}`);
  def.responseDeserialize(Buffer.concat(first).subarray(5));
  for (let i = 0; i < 20; i++) await call();
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        if (!(await call())) errors++;
        latencies.push((performance.now() - t) * 1000);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  session.close();
  return summarize(latencies, errors, seconds);
}
