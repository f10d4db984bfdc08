/**
 * Concurrency autoscaling (issue #30) reads the mean number of requests in flight by Little's law:
 * sum(rate(liftoff_inference_request_duration_seconds_sum)). That holds only if every inference route observes
 * each request's whole time in the pod (queue and compute included) and counts the same requests in
 * liftoff_inference_requests_total.
 */
import * as grpc from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { startGrpc } from "../grpc/listener.js";
import { clients } from "../grpc/protos.js";
import type { EmbeddingHost } from "../llm/embedding-host.js";
import type { LlmHost } from "../llm/llm-host.js";
import { type Protocol, RuntimeMetrics } from "../metrics.js";
import { ModelHost } from "../model-host.js";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";
import { buildHttpApp } from "./app.js";

/** The numbers of one scrape of /metrics that Little's law uses, by protocol (code 200). */
async function scrape(app: FastifyInstance) {
  const text = (await app.inject({ url: "/metrics" })).body;
  const value = (series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const labels = (p: Protocol) => `{model="m",protocol="${p}",code="200"}`;
  return {
    requests: (p: Protocol) => value(`liftoff_inference_requests_total${labels(p)}`),
    count: (p: Protocol) => value(`liftoff_inference_request_duration_seconds_count${labels(p)}`),
    seconds: (p: Protocol) => value(`liftoff_inference_request_duration_seconds_sum${labels(p)}`),
    queued: value('liftoff_inference_queue_duration_seconds_count{model="m"}'),
    queueSeconds: value('liftoff_inference_queue_duration_seconds_sum{model="m"}'),
    computeSeconds: value('liftoff_inference_compute_duration_seconds_sum{model="m"}'),
  };
}

type Call = (client: grpc.Client, method: string, req: object) => Promise<void>;
const call: Call = (client, method, req) =>
  new Promise((resolve, reject) => {
    (client as unknown as Record<string, (...a: unknown[]) => void>)[method]?.(req, (err: unknown) =>
      err ? reject(err) : resolve(),
    );
  });

const f32 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);

describe("the request metrics concurrency autoscaling reads", () => {
  it("every tensor route — V1, TF Serving REST, V2, gRPC V2 and TF Serving — counts each request once and times it whole, queue and compute included", async () => {
    // Batched with a wait: a lone request sits in the batcher's queue before its model call.
    const { app, modelHost } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), {
      maxBatchSize: 8,
      maxLatencyMs: 20,
    });
    const listener = await startGrpc(
      {
        modelHost,
        limits: { maxRequestRows: 8, bodyLimitBytes: 4096 },
        maxMessageBytes: 4096,
        maxConcurrentStreams: 10,
        auth: undefined,
        log: app.log,
      },
      "127.0.0.1",
      0,
    );
    const C = clients();
    const addr = `127.0.0.1:${listener.port}`;
    const inference = new C.Inference(addr, grpc.credentials.createInsecure());
    const prediction = new C.Prediction(addr, grpc.credentials.createInsecure());
    const http = async (url: string, payload: object) => {
      const r = await app.inject({ method: "POST", url, payload });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
    };
    const routes: [string, Protocol, () => Promise<void>][] = [
      ["V1 :predict", "v1", () => http("/v1/models/m:predict", { instances: [[1, 2, 3]] })],
      ["TF Serving REST", "v1", () => http("/v1/models/m/versions/1:predict", { instances: [[1, 2, 3]] })],
      [
        "V2 infer",
        "v2",
        () =>
          http("/v2/models/m/infer", {
            inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }],
          }),
      ],
      [
        "gRPC V2 ModelInfer",
        "grpc-v2",
        () =>
          call(inference, "ModelInfer", {
            model_name: "m",
            inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3] }],
            raw_input_contents: [f32([1, 2, 3])],
          }),
      ],
      [
        "gRPC TF Serving Predict",
        "grpc-tfs",
        () =>
          call(prediction, "Predict", {
            model_spec: { name: "m" },
            inputs: {
              dense_input: {
                dtype: "DT_FLOAT",
                tensor_shape: { dim: [{ size: 1 }, { size: 3 }] },
                float_val: [1, 2, 3],
              },
            },
          }),
      ],
    ];
    try {
      for (const [what, protocol, send] of routes) {
        const before = await scrape(app);
        await send();
        const after = await scrape(app);
        const delta = (k: "queued" | "queueSeconds" | "computeSeconds") => after[k] - before[k];
        // Counted once, in both families, under its protocol.
        expect(
          [after.requests(protocol) - before.requests(protocol), after.count(protocol) - before.count(protocol)],
          what,
        ).toEqual([1, 1]);
        expect(delta("queued"), what).toBe(1);
        // Its duration holds its wait in the queue and its model call (and parsing and the reply around them).
        const seconds = after.seconds(protocol) - before.seconds(protocol);
        expect(seconds, what).toBeGreaterThanOrEqual(delta("queueSeconds") + delta("computeSeconds"));
        expect(delta("queueSeconds"), what).toBeGreaterThan(0);
      }
    } finally {
      inference.close();
      prediction.close();
      await listener.close();
      await app.close();
    }
  });

  it("the OpenAI routes of a gguf model (chat, completion, streamed or not, embeddings) are counted too, under protocol openai", async () => {
    const metrics = new RuntimeMetrics("m");
    const modelHost = new ModelHost({ name: "m", version: "1", metrics, maxBatchSize: 1, maxLatencyMs: 0 });
    const app = await buildHttpApp({
      modelHost,
      limits: { maxRequestRows: 8, bodyLimitBytes: 4096 },
      bodyLimitBytes: 4096,
      logLevel: "silent",
      openai: true,
    });
    const generation = { text: "hi", promptTokens: 1, completionTokens: 1, finishReason: "stop" as const };
    modelHost.llm = {
      admit: async () => ({
        promptTokens: 1,
        run: async (onText?: (chunk: string) => void) => {
          onText?.("hi");
          return generation;
        },
      }),
    } as unknown as LlmHost;
    const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };
    try {
      const sent = [
        await app.inject({ method: "POST", url: "/v1/chat/completions", payload: chat }),
        await app.inject({ method: "POST", url: "/openai/v1/chat/completions", payload: { ...chat, stream: true } }),
        await app.inject({ method: "POST", url: "/v1/completions", payload: { model: "m", prompt: "hi" } }),
      ];
      modelHost.llm = undefined;
      modelHost.embedder = {
        dimensions: 2,
        embed: async () => ({ vectors: [new Float32Array([1, 2])], promptTokens: 1 }),
      } as unknown as EmbeddingHost;
      sent.push(await app.inject({ method: "POST", url: "/v1/embeddings", payload: { model: "m", input: "hi" } }));
      expect(sent.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      expect(sent[1]?.body).toMatch(/data: \[DONE\]\n\n$/);
      const after = await scrape(app);
      expect([after.requests("openai"), after.count("openai")]).toEqual([4, 4]);
      expect(after.seconds("openai")).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
