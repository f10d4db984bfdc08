/**
 * The gRPC listener: V2 GRPCInferenceService, TF Serving's PredictionService and
 * ModelService on one port. Each call runs the shared auth hook (metadata as
 * headers; ServerLive/ServerReady/ModelReady stay open like the HTTP health
 * paths), then its handler; catalogue errors become their gRPC status with the
 * LIFTOFF_ERR_* code in the `liftoff-error-code` trailer, anything else INTERNAL.
 * Messages over the limit are refused by grpc-js with RESOURCE_EXHAUSTED; each connection carries at most
 * --grpc-max-concurrent-streams calls at once, and the model's pending bound (batcher.ts) is shared with HTTP.
 */
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { errors, RuntimeError } from "../../errors.js";
import type { Authenticator } from "../auth.js";
import type { ErrorLogger } from "../inference.js";
import type { ModelHost } from "../model-host.js";
import type { TlsPair } from "../tls.js";
import type { Limits } from "../validate.js";
import { type HandlerContext, inferenceRpcs, modelRpcs, predictionRpcs, type RpcTable } from "./handlers.js";
import { services } from "./protos.js";

export interface GrpcOptions {
  modelHost: ModelHost;
  limits: Limits;
  /** Largest request message accepted (the HTTP body limit). */
  maxMessageBytes: number;
  /** Most concurrent calls (HTTP/2 streams) per connection (--grpc-max-concurrent-streams). */
  maxConcurrentStreams: number;
  auth?: Authenticator | undefined;
  log: ErrorLogger;
  /** Certificate and key: TLS instead of plaintext (--tls-cert-file, --tls-key-file); clients are not asked for one. */
  tls?: TlsPair | undefined;
}

function toRuntimeError(err: unknown, log: ErrorLogger): RuntimeError {
  if (err instanceof RuntimeError) return err;
  log.error({ err }, "grpc call failed");
  return errors.internal();
}

function toServiceError(e: RuntimeError): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set("liftoff-error-code", e.code);
  return Object.assign(new Error(e.message), { code: e.grpcStatus, details: e.message, metadata });
}

function implement(table: RpcTable, opts: GrpcOptions): grpc.UntypedServiceImplementation {
  const ctx: HandlerContext = { modelHost: opts.modelHost, limits: opts.limits, log: opts.log };
  const metrics = opts.modelHost.metrics;
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, rpc] of Object.entries(table)) {
    const run = async (call: grpc.ServerUnaryCall<unknown, object>) => {
      if (opts.auth !== undefined && rpc.public !== true) {
        const ok = await opts.auth.authenticate((key) => {
          const v = call.metadata.get(key)[0];
          return typeof v === "string" ? v : undefined;
        });
        if (!ok) throw errors.unauthorized();
      }
      return rpc.run(ctx, call.request as never);
    };
    const handler: grpc.handleUnaryCall<unknown, object> = (call, callback) => {
      const start = performance.now();
      // Inference RPCs are counted like HTTP requests, under the HTTP status of their outcome.
      const count = (status: number) => {
        if (rpc.protocol !== undefined) metrics.request(rpc.protocol, status, (performance.now() - start) / 1000);
      };
      run(call).then(
        (res) => {
          count(200);
          callback(null, res);
        },
        (err: unknown) => {
          const e = toRuntimeError(err, opts.log);
          count(e.statusCode);
          callback(toServiceError(e));
        },
      );
    };
    impl[name] = handler;
  }
  return impl;
}

export interface GrpcListener {
  port: number;
  close(): Promise<void>;
}

export async function startGrpc(opts: GrpcOptions, host: string, port: number): Promise<GrpcListener> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": -1,
    "grpc.max_concurrent_streams": opts.maxConcurrentStreams,
  });
  const s = services();
  server.addService(s.inference, implement(inferenceRpcs, opts));
  server.addService(s.prediction, implement(predictionRpcs, opts));
  server.addService(s.model, implement(modelRpcs, opts));
  const bound = await new Promise<number>((resolve, reject) => {
    const addr = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const creds =
      opts.tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false);
    server.bindAsync(addr, creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    // tryShutdown lets calls in flight finish, as the HTTP server's close does.
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
