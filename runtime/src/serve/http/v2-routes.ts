/**
 * Open Inference Protocol (V2) routes, each with and without /versions/{v}.
 * Readiness is told by the status code (200 / 503) as well as the body.
 */
import type { FastifyPluginAsync } from "fastify";
import { RUNTIME_NAME, RUNTIME_VERSION } from "../../version.js";
import { requireModel, requireReady, runInference } from "../inference.js";
import { classifiableOutput } from "../model/with-processing.js";
import type { ModelHost } from "../model-host.js";
import { labelsOf, rawV2 } from "../raw-records.js";
import { v2ModelConfig, v2ModelStatistics } from "../v2-model-config.js";
import { v2ModelMetadata } from "../v2-protocol.js";
import type { Limits } from "../validate.js";
import { BINARY_HEADER } from "./body-parser.js";
import { predictionIdHeader } from "./monitoring-routes.js";
import { closeIfDraining, sendJson } from "./reply.js";
import { requestMetrics } from "./request-metrics.js";
import { schemas } from "./schemas.js";
import { decodeV2, encodeV2 } from "./v2-json-codec.js";

export interface V2Options {
  modelHost: ModelHost;
  limits: Limits;
}

type ModelParams = { Params: { name: string; version?: string } };

export const v2Routes: FastifyPluginAsync<V2Options> = async (app, { modelHost, limits }) => {
  const countRequests = requestMetrics(modelHost.metrics, "v2");
  app.get("/v2", { schema: schemas.v2Server }, async (_req, reply) =>
    sendJson(reply, {
      name: RUNTIME_NAME,
      version: RUNTIME_VERSION,
      extensions: ["binary_tensor_data", "model_configuration", "statistics"],
    }),
  );

  app.get("/v2/health/live", { schema: schemas.v2Live }, async (_req, reply) => sendJson(reply, { live: true }));

  app.get("/v2/health/ready", { schema: schemas.v2Ready }, async (_req, reply) =>
    sendJson(reply, { ready: modelHost.ready }, modelHost.ready ? 200 : 503),
  );

  // Registered before /v2/models/:name (find-my-way prefers the static path anyway), as Triton serves it.
  app.get("/v2/models/stats", { schema: schemas.v2ModelStats("none") }, async (_req, reply) =>
    sendJson(reply, { model_stats: [v2ModelStatistics(modelHost)] }),
  );

  for (const versioned of [false, true]) {
    const base = versioned ? "/v2/models/:name/versions/:version" : "/v2/models/:name";

    app.get<ModelParams>(base, { schema: schemas.v2Model(versioned) }, async (req, reply) => {
      requireModel(modelHost, req.params.name, req.params.version);
      const model = requireReady(modelHost);
      return sendJson(reply, {
        ...v2ModelMetadata(modelHost.name, modelHost.version, model),
        parameters: {
          backend: modelHost.backend?.name,
          digest: modelHost.digest === undefined ? undefined : `sha256:${modelHost.digest}`,
          max_batch_size: modelHost.batching ? modelHost.maxBatchSize : 1,
          plain_js_max_rows: model.plainJsRows,
        },
      });
    });

    app.get<ModelParams>(`${base}/config`, { schema: schemas.v2ModelConfig(versioned) }, async (req, reply) => {
      requireModel(modelHost, req.params.name, req.params.version);
      return sendJson(reply, v2ModelConfig(modelHost, requireReady(modelHost), limits));
    });

    app.get<ModelParams>(
      `${base}/stats`,
      { schema: schemas.v2ModelStats(versioned ? "versioned" : "name") },
      async (req, reply) => {
        requireModel(modelHost, req.params.name, req.params.version);
        return sendJson(reply, { model_stats: [v2ModelStatistics(modelHost)] });
      },
    );

    app.get<ModelParams>(`${base}/ready`, { schema: schemas.v2ModelReady(versioned) }, async (req, reply) => {
      requireModel(modelHost, req.params.name, req.params.version);
      return sendJson(reply, { name: modelHost.name, ready: modelHost.ready }, modelHost.ready ? 200 : 503);
    });

    app.post<ModelParams>(
      `${base}/infer`,
      { schema: schemas.v2Infer(versioned), onResponse: countRequests },
      async (req, reply) => {
        requireModel(modelHost, req.params.name, req.params.version);
        const model = requireReady(modelHost);
        // Inputs named after the DataSet's columns for a trained model's artifact (../raw-records.ts).
        const raw =
          modelHost.raw && req.binaryPart === undefined ? rawV2(req.body, modelHost.raw, model.signature) : undefined;
        const request = decodeV2(
          raw?.body ?? req.body,
          model.signature,
          limits,
          req.binaryPart,
          classifiableOutput(model),
        );
        const outputs = await runInference(
          modelHost,
          req.log,
          request.prepared,
          predictionIdHeader(req, reply),
          raw?.records,
        );
        const { json, binary } = encodeV2(outputs, model.signature, request, modelHost.name, modelHost.version);
        const classes = raw !== undefined ? modelHost.raw?.classes : undefined;
        if (classes) {
          const labels = labelsOf(outputs, classes);
          (json as { outputs: object[] }).outputs.push({
            name: "label",
            datatype: "BYTES",
            shape: [labels.length],
            data: labels,
          });
        }
        if (binary.length === 0) return sendJson(reply, json);
        const head = Buffer.from(JSON.stringify(json));
        return closeIfDraining(reply)
          .code(200)
          .type("application/octet-stream")
          .header(BINARY_HEADER, head.byteLength)
          .send(Buffer.concat([head, ...binary]));
      },
    );
  }
};
