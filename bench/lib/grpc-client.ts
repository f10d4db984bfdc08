/**
 * A closed-loop gRPC load generator: `concurrency` calls in flight on one HTTP/2
 * channel (as gRPC clients do), each sending the next request when its reply is
 * in. Uses the runtime's own service definitions (the upstream .proto files).
 */
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { clients } from "../../runtime/src/grpc/protos.js";
import { type LoadResult, summarize } from "./client.js";

export interface GrpcLoad {
  port: number;
  service: "Inference" | "Prediction";
  method: "ModelInfer" | "Predict";
  request: object;
  concurrency: number;
  durationMs: number;
}

export async function grpcClosedLoop(opts: GrpcLoad): Promise<LoadResult> {
  const Ctor = clients()[opts.service];
  const client = new Ctor(`127.0.0.1:${opts.port}`, grpc.credentials.createInsecure());
  const call = (client as unknown as Record<string, (r: object, cb: (e: unknown) => void) => void>)[opts.method];
  if (call === undefined) throw new Error(`no method ${opts.method}`);
  const once = () =>
    new Promise<boolean>((resolve) => {
      call.call(client, opts.request, (err) => resolve(err === null || err === undefined));
    });
  // Warm the channel (connection, HTTP/2 settings) before timing.
  for (let i = 0; i < 20; i++) await once();
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        if (!(await once())) errors++;
        latencies.push((performance.now() - t) * 1000);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  client.close();
  return summarize(latencies, errors, seconds);
}
