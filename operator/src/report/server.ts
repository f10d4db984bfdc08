// Operator side of the result-reporting channel: an HTTPS endpoint where run pods post their progress and outcome,
// and serving pods push their monitoring snapshot. A report is accepted only from a pod-bound service-account token
// of audience liftoff-operator (TokenReview), from the pod of a Job a Liftoff object controls (POST /v1/report) or
// of a Deployment one controls (POST /v1/monitoring); it goes to that object's kind's handler. Pods get no RBAC on
// Liftoff kinds: this channel is the only way they influence a status, and only their own object's.
import { createHash } from "node:crypto";
import { Value } from "@sinclair/typebox/value";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import { GROUP } from "../api/v1alpha1/common.js";
import {
  MONITORING_REPORT_MAX_BYTES,
  MONITORING_REPORT_PATH,
  REPORT_AUDIENCE,
  REPORT_MAX_BYTES,
  REPORT_PATH,
  ReportBody,
} from "../contract/report.js";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import type { Permission } from "../rbac.js";
import { type PodIdentity, podIdentity, ReportRejected, type TokenReviewStatus } from "./identity.js";
import type { ReportRouter } from "./router.js";
import { jobOfPod, type ReportRun, runOfJob, runOfOwnPod } from "./run-owner.js";
import { deploymentOfReplicaSet, replicaSetOfPod, type ServingPod, servingPodOf } from "./serving-owner.js";

/** The API calls the endpoint makes (a fake in unit tests, the operator's client otherwise). */
export interface ReportApi {
  reviewToken(token: string, audience: string): Promise<TokenReviewStatus>;
  getPod(namespace: string, name: string): Promise<KubeObject | undefined>;
  getJob(namespace: string, name: string): Promise<KubeObject | undefined>;
  getReplicaSet(namespace: string, name: string): Promise<KubeObject | undefined>;
  getDeployment(namespace: string, name: string): Promise<KubeObject | undefined>;
}

/** Who sent a report (a TokenReview), and the pod and Job (or ReplicaSet and Deployment) it came from. */
export const REPORT_PERMISSIONS: readonly Permission[] = [
  { resource: RESOURCES.TokenReview, verbs: ["create"] },
  { resource: RESOURCES.Pod, verbs: ["get"] },
  { resource: RESOURCES.Job, verbs: ["get"] },
  { resource: RESOURCES.ReplicaSet, verbs: ["get"] },
  { resource: RESOURCES.Deployment, verbs: ["get"] },
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
    getReplicaSet: (ns, name) => client.getOptional(RESOURCES.ReplicaSet, ns, name),
    getDeployment: (ns, name) => client.getOptional(RESOURCES.Deployment, ns, name),
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
  /**
   * The same for serving pods (default 300 s): they push every monitoring period for the pod's whole life, and a
   * cached identity is harmless there — the merge takes only pods the operator's cache still lists, by uid.
   */
  servingCacheSeconds?: number;
  onReport?: (kind: string, code: number) => void;
}

export interface ReportServer {
  port: number;
  /** Serve a renewed certificate to new connections (cert-manager rotates the Secret's files in place). */
  reloadTls(cert: string, key: string): void;
  close(): Promise<void>;
}

/** Remembers what a token authenticated as for a while (fewer TokenReviews for frequent reports). */
function tokenCache<T>(ms: number, resolve: (token: string) => Promise<T>): (token: string) => Promise<T> {
  const cache = new Map<string, { value: T; until: number }>();
  return async (token) => {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await resolve(token);
    if (cache.size > 1000) cache.clear();
    cache.set(key, { value, until: Date.now() + ms });
    return value;
  };
}

const bearer = (auth: string | undefined) => (auth?.startsWith("Bearer ") ? auth.slice(7).trim() : "");
const NO_TOKEN = "missing Authorization: Bearer <projected service-account token>";

export async function startReportServer(o: ReportServerOptions): Promise<ReportServer> {
  const cacheMs = (o.cacheSeconds ?? 30) * 1000;
  const identify = async (token: string): Promise<PodIdentity> =>
    podIdentity(await o.api.reviewToken(token, REPORT_AUDIENCE), REPORT_AUDIENCE);

  const authenticate = tokenCache(cacheMs, async (token): Promise<ReportRun> => {
    const id = await identify(token);
    const pod = await o.api.getPod(id.namespace, id.podName);
    const own = runOfOwnPod(id, pod, o.router.kinds(), GROUP);
    if (own) return own;
    const jobName = jobOfPod(id, pod);
    return runOfJob(id, pod as KubeObject, await o.api.getJob(id.namespace, jobName), o.router.kinds(), GROUP);
  });

  // Serving pods: pod → ReplicaSet → Deployment → owner, each by uid.
  const authenticateServing = tokenCache((o.servingCacheSeconds ?? 300) * 1000, async (token): Promise<ServingPod> => {
    const id = await identify(token);
    const pod = await o.api.getPod(id.namespace, id.podName);
    const rs = await o.api.getReplicaSet(id.namespace, replicaSetOfPod(id, pod));
    const deployment = await o.api.getDeployment(id.namespace, deploymentOfReplicaSet(id, pod as KubeObject, rs));
    return servingPodOf(id, pod as KubeObject, rs as KubeObject, deployment, o.router.snapshotKinds(), GROUP);
  });

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
    const token = bearer(req.headers.authorization);
    if (!token) return answer(401, NO_TOKEN);
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

  // Monitoring snapshots: the sender is authenticated before its body is read (onRequest), and the body is bounded.
  const senders = new WeakMap<object, ServingPod>();
  const snapshotAnswer = (reply: FastifyReply, kind: string, code: number, error?: string) => {
    o.onReport?.(kind, code);
    // 503 (not the leader): close the connection, so the pod's retry may reach another replica.
    if (code === 503) reply.header("connection", "close");
    return error ? reply.code(code).send({ error }) : reply.code(code).send();
  };
  const rejected = (reply: FastifyReply, kind: string, err: unknown) => {
    if (err instanceof ReportRejected) return snapshotAnswer(reply, kind, err.status, err.message);
    o.log.error({ err, kind }, "monitoring snapshot failed");
    return snapshotAnswer(reply, kind, 500, "internal error; the pod retries");
  };
  app.post(
    MONITORING_REPORT_PATH,
    {
      bodyLimit: MONITORING_REPORT_MAX_BYTES,
      onRequest: async (req, reply) => {
        const token = bearer(req.headers.authorization);
        if (!token) return snapshotAnswer(reply, "unknown", 401, NO_TOKEN);
        try {
          senders.set(req, await authenticateServing(token));
        } catch (err) {
          return rejected(reply, "unknown", err);
        }
      },
    },
    async (req, reply) => {
      const pod = senders.get(req) as ServingPod;
      const handler = o.router.snapshotHandler(pod.kind);
      if (!handler) return snapshotAnswer(reply, pod.kind, 403, `no handler for ${pod.kind} monitoring snapshots`);
      try {
        await handler(pod, req.body, o.log.child({ kind: pod.kind, name: `${pod.namespace}/${pod.name}` }));
        return snapshotAnswer(reply, pod.kind, 204);
      } catch (err) {
        return rejected(reply, pod.kind, err);
      }
    },
  );
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  return {
    port: typeof address === "object" && address ? address.port : o.port,
    reloadTls: (cert, key) => (app.server as import("node:https").Server).setSecureContext({ cert, key }),
    close: () => app.close(),
  };
}
