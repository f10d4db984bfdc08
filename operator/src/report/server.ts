// Operator side of the result-reporting channel: an HTTPS endpoint where run pods post their progress and outcome.
// A report is accepted only from a pod-bound service-account token of audience liftoff-operator (TokenReview), from
// the pod of a Job a Liftoff object controls; it goes to that object's kind's handler. Pods get no RBAC on Liftoff
// kinds: this channel is the only way they influence a status, and only their own run's.
import { createHash } from "node:crypto";
import { Value } from "@sinclair/typebox/value";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { GROUP } from "../api/v1alpha1/common.js";
import { REPORT_AUDIENCE, REPORT_MAX_BYTES, REPORT_PATH, ReportBody } from "../contract/report.js";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import type { Permission } from "../rbac.js";
import { podIdentity, ReportRejected, type TokenReviewStatus } from "./identity.js";
import type { ReportRouter } from "./router.js";
import { jobOfPod, type ReportRun, runOfJob } from "./run-owner.js";

/** The API calls the endpoint makes (a fake in unit tests, the operator's client otherwise). */
export interface ReportApi {
  reviewToken(token: string, audience: string): Promise<TokenReviewStatus>;
  getPod(namespace: string, name: string): Promise<KubeObject | undefined>;
  getJob(namespace: string, name: string): Promise<KubeObject | undefined>;
}

/** Who sent a report (a TokenReview), and the pod and Job it came from. */
export const REPORT_PERMISSIONS: readonly Permission[] = [
  { resource: RESOURCES.TokenReview, verbs: ["create"] },
  { resource: RESOURCES.Pod, verbs: ["get"] },
  { resource: RESOURCES.Job, verbs: ["get"] },
];

export function kubeReportApi(client: KubeClient): ReportApi {
  return {
    async reviewToken(token, audience) {
      const review = await client.create<KubeObject>(RESOURCES.TokenReview, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token, audiences: [audience] },
      });
      return (review.status ?? {}) as TokenReviewStatus;
    },
    getPod: (ns, name) => client.getOptional(RESOURCES.Pod, ns, name),
    getJob: (ns, name) => client.getOptional(RESOURCES.Job, ns, name),
  };
}

export interface ReportServerOptions {
  host: string;
  port: number;
  /** PEM serving certificate and key. */
  cert: string;
  key: string;
  api: ReportApi;
  router: ReportRouter;
  log: Logger;
  /** How long an authenticated token's run is remembered (fewer TokenReviews for frequent progress reports). */
  cacheSeconds?: number;
  onReport?: (kind: string, code: number) => void;
}

export interface ReportServer {
  port: number;
  /** Serve a renewed certificate to new connections (cert-manager rotates the Secret's files in place). */
  reloadTls(cert: string, key: string): void;
  close(): Promise<void>;
}

export async function startReportServer(o: ReportServerOptions): Promise<ReportServer> {
  const cacheMs = (o.cacheSeconds ?? 30) * 1000;
  const cache = new Map<string, { run: ReportRun; until: number }>();

  const authenticate = async (token: string): Promise<ReportRun> => {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.run;
    const id = podIdentity(await o.api.reviewToken(token, REPORT_AUDIENCE), REPORT_AUDIENCE);
    const pod = await o.api.getPod(id.namespace, id.podName);
    const jobName = jobOfPod(id, pod);
    const run = runOfJob(id, pod as KubeObject, await o.api.getJob(id.namespace, jobName), o.router.kinds(), GROUP);
    if (cache.size > 1000) cache.clear();
    cache.set(key, { run, until: Date.now() + cacheMs });
    return run;
  };

  const app: FastifyInstance = Fastify({
    logger: false,
    https: { cert: o.cert, key: o.key },
    bodyLimit: REPORT_MAX_BYTES,
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) o.log.error({ err }, "report failed");
    return reply.code(code).send({ error: code === 500 ? "internal error; the pod retries" : err.message });
  });
  app.post(REPORT_PATH, async (req, reply) => {
    let kind = "unknown";
    const answer = (code: number, error?: string) => {
      o.onReport?.(kind, code);
      return error ? reply.code(code).send({ error }) : reply.code(code).send();
    };
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    if (!token) return answer(401, "missing Authorization: Bearer <projected service-account token>");
    try {
      const run = await authenticate(token);
      kind = run.kind;
      if (!Value.Check(ReportBody, req.body)) {
        const first = Value.Errors(ReportBody, req.body).First();
        return answer(400, `bad report body at ${first?.path || "/"}: ${first?.message ?? "invalid"}`);
      }
      const handler = o.router.handler(run.kind);
      if (!handler) return answer(403, `no handler for ${run.kind} reports`);
      await handler(run, req.body, o.log.child({ kind: run.kind, name: `${run.namespace}/${run.name}` }));
      return answer(204);
    } catch (err) {
      if (err instanceof ReportRejected) return answer(err.status, err.message);
      o.log.error({ err, kind }, "report failed");
      return answer(500, "internal error; the pod retries");
    }
  });
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  return {
    port: typeof address === "object" && address ? address.port : o.port,
    reloadTls: (cert, key) => (app.server as import("node:https").Server).setSecureContext({ cert, key }),
    close: () => app.close(),
  };
}
