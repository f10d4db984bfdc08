/**
 * The monitoring routes: GET /monitoring (the window's counts, for the operator) and the V2 feedback route;
 * the V1 flavour is the `:feedback` verb of /v1/models/{name} (v1-routes.ts hands it here).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";
import { callerOf } from "../auth.js";
import { type PredictionSink, requireModel } from "../inference.js";
import type { ModelHost } from "../model-host.js";
import {
  applyFeedback,
  decodeV1Feedback,
  decodeV2Feedback,
  type FeedbackItem,
  FORWARDED_HEADER,
} from "../monitoring/feedback.js";
import type { Monitor } from "../monitoring/monitor.js";
import { sendJson } from "./reply.js";

const PREDICTION_ID_HEADER = "x-prediction-id";

/** Puts a prediction's id on its reply; the prediction is bound to the request's key. */
export const predictionIdHeader = (req: FastifyRequest, reply: FastifyReply): PredictionSink => ({
  caller: callerOf(req.headers.authorization),
  receive: (id) => {
    reply.header(PREDICTION_ID_HEADER, id);
  },
});

function requireMonitor(modelHost: ModelHost): Monitor {
  const m = modelHost.monitor;
  if (m === undefined) throw errors.notReady(modelHost.name);
  return m;
}

/** A loaded model served with neither a baseline nor feedback has no monitor: its feedback is off, not unready. */
function feedbackMonitor(modelHost: ModelHost): Monitor {
  if (modelHost.monitor === undefined && modelHost.ready) throw errors.feedbackDisabled(modelHost.name);
  return requireMonitor(modelHost);
}

async function feedback(modelHost: ModelHost, req: FastifyRequest, items: FeedbackItem[]) {
  return applyFeedback(items, {
    monitor: feedbackMonitor(modelHost),
    modelName: modelHost.name,
    forwarded: req.headers[FORWARDED_HEADER] === "1",
    authorization: req.headers.authorization,
    onLabel: modelHost.capture ? (id, row, label) => modelHost.capture?.label(id, row, label) : undefined,
  });
}

/** POST /v1/models/{name}:feedback */
export async function v1Feedback(modelHost: ModelHost, req: FastifyRequest, reply: FastifyReply) {
  const { accepted, unknown } = await feedback(modelHost, req, decodeV1Feedback(req.body));
  return sendJson(reply, { accepted, ...(unknown > 0 ? { unknown } : {}) });
}

type ModelParams = { Params: { name: string; version?: string } };

export const monitoringRoutes: FastifyPluginAsync<{ modelHost: ModelHost }> = async (app, { modelHost }) => {
  app.get("/monitoring", { schema: { hide: true } }, async (_req, reply) =>
    sendJson(reply, requireMonitor(modelHost).snapshot()),
  );
  for (const base of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    app.post<ModelParams>(`${base}/feedback`, { schema: { hide: true } }, async (req, reply) => {
      requireModel(modelHost, req.params.name, req.params.version);
      const { accepted, unknown } = await feedback(modelHost, req, decodeV2Feedback(req.body));
      return sendJson(reply, { model_name: modelHost.name, accepted, ...(unknown > 0 ? { unknown } : {}) });
    });
  }
};
