/**
 * TF Serving / KServe V1 routes. `GET /v1/models/{name}` answers KServe's
 * `{name, ready}` (not TF Serving's model_version_status).
 *
 * `{name}:predict` shares a path segment with `{name}`, which find-my-way cannot
 * route apart, so one parametric route takes both and splits off the verb.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";
import { requireModel, requireReady, runInference } from "../inference.js";
import type { ModelHost } from "../model-host.js";
import { labelsOf, rawV1 } from "../raw-records.js";
import type { Limits } from "../validate.js";
import { predictionIdHeader, v1Feedback } from "./monitoring-routes.js";
import { openAiModelList, servesOpenAi } from "./openai-routes.js";
import { sendJson, sendJsonText } from "./reply.js";
import { requestMetrics } from "./request-metrics.js";
import { schemas } from "./schemas.js";
import { decodeV1, encodeV1, encodeV1Json } from "./v1-json-codec.js";

export interface V1Options {
  modelHost: ModelHost;
  limits: Limits;
}

type NameParams = { Params: { name: string } };

/** "m:predict" → ["m", "predict"]; "m" → ["m", undefined]. */
function splitVerb(segment: string): [string, string | undefined] {
  const i = segment.lastIndexOf(":");
  return i === -1 ? [segment, undefined] : [segment.slice(0, i), segment.slice(i + 1)];
}

/** The predict path segment of the served model, compared whole: the hot route splits nothing. */
const predictSegment = (name: string) => `${name}:predict`;

const VERBS = new Set(["predict", "feedback"]);

/** For the Allow header: GET serves `{name}`, POST `{name}:<verb>` (see route-methods.ts). */
const hasVerb = (path: string) => path.includes(":");

export const v1Routes: FastifyPluginAsync<V1Options> = async (app, { modelHost, limits }) => {
  const countRequests = requestMetrics(modelHost.metrics, "v1");
  const hotSegment = predictSegment(modelHost.name);
  // A generative model's list also carries OpenAI's shape: GET /v1/models is both APIs' list.
  app.get("/v1/models", { schema: schemas.v1List }, async (_req, reply) =>
    sendJson(reply, { models: [modelHost.name], ...(servesOpenAi(modelHost) ? openAiModelList(modelHost) : {}) }),
  );

  app.get<NameParams>(
    "/v1/models/:name",
    { schema: schemas.v1Model, config: { servesPath: (path) => !hasVerb(path) } },
    async (req, reply) => {
      const [name, verb] = splitVerb(req.params.name);
      if (verb !== undefined) {
        if (VERBS.has(verb)) throw errors.methodNotAllowed("GET", ["POST"]);
        throw errors.routeNotFound("GET", req.url.split("?")[0] ?? "");
      }
      requireModel(modelHost, name);
      return sendJson(reply, { name: modelHost.name, ready: modelHost.ready });
    },
  );

  app.post<NameParams>(
    "/v1/models/:name",
    { schema: schemas.v1Predict, config: { servesPath: hasVerb }, onResponse: countRequests },
    async (req, reply) => {
      if (req.params.name === hotSegment) return v1Predict(modelHost, limits, req, reply);
      const [name, verb] = splitVerb(req.params.name);
      if (verb === undefined) throw errors.methodNotAllowed("POST", ["GET", "HEAD"]);
      if (!VERBS.has(verb)) throw errors.routeNotFound("POST", req.url.split("?")[0] ?? "");
      requireModel(modelHost, name);
      if (verb === "feedback") return v1Feedback(modelHost, req, reply);
      return v1Predict(modelHost, limits, req, reply);
    },
  );
};

/** `:predict` once the model and version are known (also TF Serving's /versions/{v}:predict, tfs-rest-routes.ts). */
export async function v1Predict(modelHost: ModelHost, limits: Limits, req: FastifyRequest, reply: FastifyReply) {
  const model = requireReady(modelHost);
  if (req.binaryPart !== undefined)
    throw errors.badRequest("the binary tensor data extension (Inference-Header-Content-Length) is V2 only");
  // Column-keyed instances for a trained model's artifact (../raw-records.ts); tensors otherwise.
  const raw = modelHost.raw && rawV1(req.body, modelHost.raw, model.signature);
  const { prepared, format } = decodeV1(raw?.body ?? req.body, model.signature, limits);
  // The prediction id sink only where there is a monitor to give one (no object, closure or caller hash otherwise).
  const sink = modelHost.monitor !== undefined ? predictionIdHeader(req, reply) : undefined;
  const outputs = await runInference(modelHost, req.log, prepared, sink, raw?.records);
  const classes = raw ? modelHost.raw?.classes : undefined;
  if (classes) {
    const body = encodeV1(outputs, model.signature, format, prepared.rows);
    return sendJson(reply, { ...body, labels: labelsOf(outputs, classes) });
  }
  return sendJsonText(reply, encodeV1Json(outputs, model.signature, format, prepared.rows));
}
