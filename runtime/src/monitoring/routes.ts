/**
 * The monitoring routes: GET /monitoring (the window's counts, for the operator) and the V2 feedback route;
 * the V1 flavour is the `:feedback` verb of /v1/models/{name} (v1.ts hands it here).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../errors.js";
import { methodGuard } from "../http-methods.js";
import { sendJson } from "../http-reply.js";
import { requireModel } from "../inference.js";
import type { ModelService } from "../service.js";
import { applyFeedback, decodeV1Feedback, decodeV2Feedback, type FeedbackItem, FORWARDED_HEADER } from "./feedback.js";
import type { Monitor } from "./monitor.js";

export const PREDICTION_ID_HEADER = "x-prediction-id";

/** Puts a prediction's id on its reply. */
export const predictionIdHeader = (reply: FastifyReply) => (id: string) => {
  reply.header(PREDICTION_ID_HEADER, id);
};

function requireMonitor(service: ModelService): Monitor {
  const m = service.monitor;
  if (m === undefined) throw errors.notReady(service.name);
  return m;
}

/** A loaded model served with neither a baseline nor feedback has no monitor: its feedback is off, not unready. */
function feedbackMonitor(service: ModelService): Monitor {
  if (service.monitor === undefined && service.ready) throw errors.feedbackDisabled(service.name);
  return requireMonitor(service);
}

async function feedback(service: ModelService, req: FastifyRequest, items: FeedbackItem[]) {
  return applyFeedback(items, {
    monitor: feedbackMonitor(service),
    modelName: service.name,
    forwarded: req.headers[FORWARDED_HEADER] === "1",
    authorization: req.headers.authorization,
  });
}

/** POST /v1/models/{name}:feedback */
export async function v1Feedback(service: ModelService, req: FastifyRequest, reply: FastifyReply) {
  const accepted = await feedback(service, req, decodeV1Feedback(req.body));
  return sendJson(reply, { accepted });
}

type ModelParams = { Params: { name: string; version?: string } };

export const monitoringRoutes: FastifyPluginAsync<{ service: ModelService }> = async (app, { service }) => {
  app.get("/monitoring", { schema: { hide: true } }, async (_req, reply) =>
    sendJson(reply, requireMonitor(service).snapshot()),
  );
  methodGuard(app, "/monitoring", ["GET"]);
  for (const base of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    app.post<ModelParams>(`${base}/feedback`, { schema: { hide: true } }, async (req, reply) => {
      requireModel(service, req.params.name, req.params.version);
      const accepted = await feedback(service, req, decodeV2Feedback(req.body));
      return sendJson(reply, { model_name: service.name, accepted });
    });
    methodGuard(app, `${base}/feedback`, ["POST"]);
  }
};
