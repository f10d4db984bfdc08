/**
 * The gRPC baseline: a bare grpc-js server on the same upstream protos whose
 * ModelInfer answers a fixed reply of the tiny model's shape (one FP32 [1,2]
 * output in raw_output_contents), without decoding the request; nothing else
 * (no model, no metrics, no auth). An HTTP /ready route tells the bench it is up.
 */
import http from "node:http";
import type { sendUnaryData } from "@grpc/grpc-js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const grpc = await import("@grpc/grpc-js");
const { services } = await import("../runtime/src/serve/grpc/protos.js");

const reply = {
  model_name: "m",
  model_version: "1",
  outputs: [{ name: "dense", datatype: "FP32", shape: [1, 2] }],
  raw_output_contents: [Buffer.from(new Float32Array([1.1, 0.4]).buffer)],
};
const server = new grpc.Server();
server.addService(services().inference, {
  ModelInfer: (_call: unknown, done: sendUnaryData<object>) => done(null, reply),
});
const grpcPort = await new Promise<number>((resolve, reject) => {
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  );
});
const ready = http
  .createServer((_req, res) => res.end("{}"))
  .listen(0, "127.0.0.1", () => {
    const port = (ready.address() as { port: number }).port;
    process.stdout.write(`bare grpc on port ${grpcPort}, ready on port ${port}\n`);
  });
process.on("SIGTERM", () => {
  server.tryShutdown(() => process.exit(0));
});
