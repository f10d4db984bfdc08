/**
 * TF Serving's own REST paths beside V1 predict: model metadata (the signature_def map),
 * version status, predict on a named version, and version labels. Only the served
 * version answers; other versions and every label are 404 (TF Serving's `{"error"}`
 * shape, with the catalogue's code). `{version}:predict` shares its segment with
 * `{version}`, so one parametric route takes both and splits off the verb, as V1 does.
 */
import type { FastifyPluginAsync } from "fastify";
import { errors } from "../../errors.js";
import { signatureDefMap } from "../grpc/tfs-proto-codec.js";
import { requireModel, requireReady } from "../inference.js";
import type { ModelHost } from "../model-host.js";
import type { Limits } from "../validate.js";
import { sendJson } from "./reply.js";
import { requestMetrics } from "./request-metrics.js";
import { schemas } from "./schemas.js";
import { v1Predict } from "./v1-routes.js";

export interface TfsRestOptions {
  modelHost: ModelHost;
  limits: Limits;
}

type Params = { Params: { name: string; version?: string; label?: string } };

/** "1:predict" → ["1", "predict"]. */
function splitVerb(segment: string): [string, string | undefined] {
  const i = segment.lastIndexOf(":");
  return i === -1 ? [segment, undefined] : [segment.slice(0, i), segment.slice(i + 1)];
}

const hasVerb = (path: string) => /:[^/]*$/.test(path);

/** The model and, when given, a version (never a label: no labels are served). */
function requireServed(modelHost: ModelHost, p: Params["Params"]): void {
  requireModel(modelHost, p.name, p.version);
  if (p.label !== undefined) throw errors.versionNotFound(p.name, `label ${splitVerb(p.label)[0]}`);
}

export const tfsRestRoutes: FastifyPluginAsync<TfsRestOptions> = async (app, { modelHost, limits }) => {
  const countRequests = requestMetrics(modelHost.metrics, "v1");
  for (const at of ["", "/versions/:version", "/labels/:label"]) {
    const base = `/v1/models/:name${at}`;
    // Label paths answer 404 only (no labels are served): kept for TF Serving clients, left out of /openapi.json.
    const doc = <S extends object>(schema: S) => (at === "/labels/:label" ? { ...schema, hide: true } : schema);
    app.get<Params>(`${base}/metadata`, { schema: doc(schemas.tfsMetadata(at)) }, async (req, reply) => {
      requireServed(modelHost, req.params);
      const model = requireReady(modelHost);
      return sendJson(reply, {
        model_spec: { name: modelHost.name, signature_name: "", version: modelHost.version },
        metadata: {
          signature_def: {
            signature_def: signatureDefMap(model.signature, (n) => String(n)),
          },
        },
      });
    });
    if (at === "") continue;
    const verbOf = (req: { params: Params["Params"] }) => splitVerb(req.params.version ?? req.params.label ?? "")[1];
    app.get<Params>(
      base,
      { schema: doc(schemas.tfsStatus(at)), config: { servesPath: (path) => !hasVerb(path) } },
      async (req, reply) => {
        const verb = verbOf(req);
        if (verb === "predict") throw errors.methodNotAllowed("GET", ["POST"]);
        if (verb !== undefined) throw errors.routeNotFound("GET", req.url.split("?")[0] ?? "");
        requireServed(modelHost, req.params);
        const state = modelHost.ready ? "AVAILABLE" : modelHost.model === undefined ? "LOADING" : "UNLOADING";
        return sendJson(reply, {
          model_version_status: [
            { version: modelHost.version, state, status: { error_code: "OK", error_message: "" } },
          ],
        });
      },
    );
    app.post<Params>(
      base,
      { schema: doc(schemas.tfsPredict(at)), config: { servesPath: hasVerb }, onResponse: countRequests },
      async (req, reply) => {
        const verb = verbOf(req);
        if (verb === undefined) throw errors.methodNotAllowed("POST", ["GET", "HEAD"]);
        if (verb !== "predict") throw errors.routeNotFound("POST", req.url.split("?")[0] ?? "");
        const params = { ...req.params };
        if (params.version !== undefined) params.version = splitVerb(params.version)[0];
        requireServed(modelHost, params);
        return v1Predict(modelHost, limits, req, reply);
      },
    );
  }
};
