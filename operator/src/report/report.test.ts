// The reporting channel end to end on loopback: the runtime's reporter and monitoring push post over real HTTPS to
// the operator's endpoint, whose API calls (TokenReview, pod, Job, ReplicaSet, Deployment) are faked here; the
// integration tests use the real API server.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePki, issueServingCert } from "../../../devcluster/cluster/pki.js";
import { httpsReporter, type ReportError } from "../../../runtime/src/report/reporter.js";
import { httpsPush } from "../../../runtime/src/serve/monitoring/pusher.js";
import type { KubeObject } from "../kube/types.js";
import { podIdentity, ReportRejected, type TokenReviewStatus } from "./identity.js";
import { reportPodParts } from "./pod-spec.js";
import { ReportRouter, type ReportUpdate } from "./router.js";
import { jobOfPod, type ReportRun, runOfJob, runOfOwnPod } from "./run-owner.js";
import { type ReportApi, type ReportServer, startReportServer } from "./server.js";
import { deploymentOfReplicaSet, replicaSetOfPod, type ServingPod, servingPodOf } from "./serving-owner.js";

const review = (over: Partial<TokenReviewStatus> = {}): TokenReviewStatus => ({
  authenticated: true,
  audiences: ["liftoff-operator"],
  user: {
    username: "system:serviceaccount:team-a:iris-dataset",
    extra: {
      "authentication.kubernetes.io/pod-name": ["iris-prepare-g1-abcde"],
      "authentication.kubernetes.io/pod-uid": ["pod-uid-1"],
    },
  },
  ...over,
});

const pod: KubeObject = {
  metadata: {
    name: "iris-prepare-g1-abcde",
    namespace: "team-a",
    uid: "pod-uid-1",
    ownerReferences: [
      { apiVersion: "batch/v1", kind: "Job", name: "iris-prepare-g1", uid: "job-uid-1", controller: true },
    ],
  },
  spec: { serviceAccountName: "iris-dataset" },
};
const job: KubeObject = {
  metadata: {
    name: "iris-prepare-g1",
    namespace: "team-a",
    uid: "job-uid-1",
    annotations: { "liftoff.dev/generation": "1" },
    ownerReferences: [
      { apiVersion: "liftoff.dev/v1alpha1", kind: "DataSet", name: "iris", uid: "ds-uid-1", controller: true },
    ],
  },
};
const id = podIdentity(review(), "liftoff-operator");

// A serving pod: pod → ReplicaSet → Deployment → ModelDeployment churn.
const servingReview = review({
  user: {
    username: "system:serviceaccount:team-a:churn-serving",
    extra: {
      "authentication.kubernetes.io/pod-name": ["churn-predictor-5d9f-x7k2p"],
      "authentication.kubernetes.io/pod-uid": ["pod-uid-2"],
    },
  },
});
const servingId = podIdentity(servingReview, "liftoff-operator");
const owned = (name: string, uid: string, owner: { apiVersion: string; kind: string; name: string; uid: string }) => ({
  metadata: { name, namespace: "team-a", uid, ownerReferences: [{ ...owner, controller: true }] },
});
const servingPod: KubeObject = {
  metadata: {
    ...owned("churn-predictor-5d9f-x7k2p", "pod-uid-2", {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name: "churn-predictor-5d9f",
      uid: "rs-uid-1",
    }).metadata,
    labels: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" },
  },
  spec: { serviceAccountName: "churn-serving" },
};
const replicaSet = owned("churn-predictor-5d9f", "rs-uid-1", {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "churn-predictor",
  uid: "dep-uid-1",
});
const deployment = owned("churn-predictor", "dep-uid-1", {
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "ModelDeployment",
  name: "churn",
  uid: "md-uid-1",
});
const MDEP = new Set(["ModelDeployment"]);

describe("podIdentity", () => {
  it("takes namespace, service account and the bound pod from the review", () => {
    expect(id).toEqual({
      namespace: "team-a",
      serviceAccount: "iris-dataset",
      podName: "iris-prepare-g1-abcde",
      podUid: "pod-uid-1",
    });
  });
  it("refuses unauthenticated, wrong-audience, non-SA and unbound tokens", () => {
    const status = (r: TokenReviewStatus) => {
      try {
        podIdentity(r, "liftoff-operator");
      } catch (err) {
        return (err as ReportRejected).status;
      }
      return 200;
    };
    expect(status(review({ authenticated: false, error: "expired" }))).toBe(401);
    expect(status(review({ audiences: ["vault"] }))).toBe(401);
    expect(status(review({ user: { username: "alice" } }))).toBe(403);
    expect(status(review({ user: { username: "system:serviceaccount:team-a:x" } }))).toBe(403);
  });
});

describe("run ownership (pod → Job → owner)", () => {
  it("walks to the owning DataSet", () => {
    expect(jobOfPod(id, pod)).toBe("iris-prepare-g1");
    const run = runOfJob(id, pod, job, new Set(["DataSet"]), "liftoff.dev");
    expect(run).toMatchObject({ kind: "DataSet", name: "iris", uid: "ds-uid-1", namespace: "team-a" });
    expect(run.job.annotations["liftoff.dev/generation"]).toBe("1");
  });
  it("refuses a recreated pod, another service account, a bare pod, a foreign Job", () => {
    expect(() => jobOfPod(id, { ...pod, metadata: { ...pod.metadata, uid: "other" } })).toThrow(/no longer exists/);
    expect(() => jobOfPod(id, { ...pod, spec: { serviceAccountName: "default" } })).toThrow(/service account/);
    expect(() => jobOfPod(id, { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } })).toThrow(
      /not controlled/,
    );
    const foreign = { ...job, metadata: { ...job.metadata, ownerReferences: [] } };
    expect(() => runOfJob(id, pod, foreign, new Set(["DataSet"]), "liftoff.dev")).toThrow(/not run by Liftoff/);
    expect(() => runOfJob(id, pod, job, new Set(["TrainingJob"]), "liftoff.dev")).toThrow(ReportRejected);
  });
  it("takes a pod a Liftoff kind controls itself (a pytorch worker) as its run, and nothing else", () => {
    const worker = {
      ...pod,
      metadata: {
        ...pod.metadata,
        ownerReferences: [
          { apiVersion: "liftoff.dev/v1alpha1", kind: "TrainingJob", name: "ddp", uid: "tj-uid", controller: true },
        ],
      },
    };
    expect(runOfOwnPod(id, worker, new Set(["TrainingJob"]), "liftoff.dev")).toMatchObject({
      kind: "TrainingJob",
      name: "ddp",
      uid: "tj-uid",
      pod: { name: id.podName, uid: id.podUid },
    });
    // A Job's pod goes the Job's way; a kind Liftoff does not route, or another group, is no run of its own.
    expect(runOfOwnPod(id, pod, new Set(["TrainingJob"]), "liftoff.dev")).toBeUndefined();
    expect(runOfOwnPod(id, worker, new Set(["DataSet"]), "liftoff.dev")).toBeUndefined();
    expect(runOfOwnPod(id, worker, new Set(["TrainingJob"]), "example.com")).toBeUndefined();
    expect(() =>
      runOfOwnPod(id, { ...worker, spec: { serviceAccountName: "default" } }, new Set(["TrainingJob"]), "liftoff.dev"),
    ).toThrow(/service account/);
  });
});

describe("serving ownership (pod → ReplicaSet → Deployment → owner)", () => {
  it("walks to the owning ModelDeployment and keeps the pod's labels", () => {
    expect(replicaSetOfPod(servingId, servingPod)).toBe("churn-predictor-5d9f");
    expect(deploymentOfReplicaSet(servingId, servingPod, replicaSet)).toBe("churn-predictor");
    expect(servingPodOf(servingId, servingPod, replicaSet, deployment, MDEP, "liftoff.dev")).toEqual({
      kind: "ModelDeployment",
      namespace: "team-a",
      name: "churn",
      uid: "md-uid-1",
      deployment: { name: "churn-predictor", uid: "dep-uid-1" },
      pod: {
        name: "churn-predictor-5d9f-x7k2p",
        uid: "pod-uid-2",
        labels: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" },
      },
    });
  });
  it("refuses a run pod, a bare pod, a recreated ReplicaSet or Deployment, and a Deployment Liftoff does not run", () => {
    expect(() => replicaSetOfPod(id, pod)).toThrow(/not controlled by a ReplicaSet/);
    const bare = { ...servingPod, metadata: { ...servingPod.metadata, ownerReferences: [] } };
    expect(() => replicaSetOfPod(servingId, bare)).toThrow(/not controlled by a ReplicaSet/);
    const recreatedRs = { metadata: { ...replicaSet.metadata, uid: "rs-uid-2" } };
    expect(() => deploymentOfReplicaSet(servingId, servingPod, recreatedRs)).toThrow(/no longer exists/);
    const recreatedDep = { metadata: { ...deployment.metadata, uid: "dep-uid-2" } };
    expect(() => servingPodOf(servingId, servingPod, replicaSet, recreatedDep, MDEP, "liftoff.dev")).toThrow(
      /no longer exists/,
    );
    const foreign = owned("churn-predictor", "dep-uid-1", {
      apiVersion: "example.com/v1",
      kind: "App",
      name: "x",
      uid: "u",
    });
    expect(() => servingPodOf(servingId, servingPod, replicaSet, foreign, MDEP, "liftoff.dev")).toThrow(
      /not run by Liftoff/,
    );
  });
});

describe("reportPodParts", () => {
  it("projects a pod-bound token of audience liftoff-operator and points the env at it", () => {
    const parts = reportPodParts({ url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" });
    expect(parts.volume).toMatchObject({
      projected: { sources: [{ serviceAccountToken: { audience: "liftoff-operator", path: "token" } }] },
    });
    const env = Object.fromEntries(parts.env.map((e) => [e.name, e.value]));
    expect(env.LIFTOFF_REPORT_TOKEN_FILE).toBe(`${parts.volumeMount.mountPath}/token`);
    expect(env.LIFTOFF_REPORT_URL).toBe("https://10.88.0.1:9443/v1/report");
  });
});

describe("report endpoint over HTTPS", () => {
  const dir = mkdtempSync(join(tmpdir(), "liftoff-report-"));
  const received: { run: ReportRun; update: ReportUpdate }[] = [];
  const snapshots: { sender: ServingPod; body: unknown }[] = [];
  let reviews = 0;
  let server: ReportServer;
  let ca: string;
  const tokenFile = join(dir, "token");

  const api: ReportApi = {
    async reviewToken(token) {
      reviews++;
      if (token === "serving-token") return servingReview;
      return token === "good-token" ? review() : { authenticated: false, error: "invalid bearer token" };
    },
    getPod: async (_, name) => [pod, servingPod].find((p) => p.metadata?.name === name),
    getJob: async () => job,
    getReplicaSet: async () => replicaSet,
    getDeployment: async () => deployment,
  };

  beforeAll(async () => {
    const pki = ensurePki(join(dir, "pki"), "10.0.0.1");
    const tls = issueServingCert(pki, "report", ["127.0.0.1"]);
    ca = readFileSync(tls.ca, "utf8");
    const router = new ReportRouter();
    router.register("DataSet", async (run, update) => {
      if (update.data?.stale) throw new ReportRejected("stale generation", 409);
      received.push({ run, update });
    });
    router.registerSnapshots("ModelDeployment", (sender, body) => {
      if ((body as { busy?: boolean }).busy) throw new ReportRejected("not the leader", 503);
      snapshots.push({ sender, body });
    });
    server = await startReportServer({
      host: "127.0.0.1",
      port: 0,
      cert: readFileSync(tls.cert, "utf8"),
      key: readFileSync(tls.key, "utf8"),
      api,
      router,
      log: pino({ level: "silent" }),
    });
  });
  afterAll(() => server.close());

  const reporter = () =>
    httpsReporter({ url: `https://127.0.0.1:${server.port}/v1/report`, tokenFile, ca, attempts: 2, backoffMs: 1 });

  it("delivers a report from the pod's token to the owning kind's handler, reviewing the token once", async () => {
    writeFileSync(tokenFile, "good-token\n");
    await reporter().report({ phase: "progress", data: { epoch: 1 } });
    await reporter().report({ phase: "succeeded", data: { digest: "sha256:ab" } });
    expect(received.map((r) => [r.run.name, r.update.phase, r.update.data])).toEqual([
      ["iris", "progress", { epoch: 1 }],
      ["iris", "succeeded", { digest: "sha256:ab" }],
    ]);
    expect(reviews).toBe(1);
  });

  it("answers 401 to a bad token, 400 to a bad body, 409 from the handler, without retrying", async () => {
    const status = async (p: Promise<void>) => p.then(() => 200).catch((e: ReportError) => e.status);
    writeFileSync(tokenFile, "stolen-token");
    expect(await status(reporter().report({ phase: "succeeded" }))).toBe(401);
    writeFileSync(tokenFile, "good-token");
    expect(await status(reporter().report({ phase: "done" } as never))).toBe(400);
    expect(await status(reporter().report({ phase: "succeeded", data: { stale: true } }))).toBe(409);
  });

  it("refuses a server whose certificate the CA did not sign", async () => {
    const other = ensurePki(join(dir, "other"), "10.0.0.1");
    const r = httpsReporter({
      url: `https://127.0.0.1:${server.port}/v1/report`,
      tokenFile,
      ca: readFileSync(other.caCert, "utf8"),
      attempts: 1,
    });
    await expect(r.report({ phase: "progress" })).rejects.toThrow(/cannot reach the operator/);
  });

  it("serves a renewed certificate from another CA to new connections after reloadTls", async () => {
    const renewed = ensurePki(join(dir, "renewed"), "10.0.0.1");
    const tls = issueServingCert(renewed, "report-renewed", ["127.0.0.1"]);
    const by = (caPem: string) =>
      httpsReporter({ url: `https://127.0.0.1:${server.port}/v1/report`, tokenFile, ca: caPem, attempts: 1 });
    writeFileSync(tokenFile, "good-token");
    const renewedCa = readFileSync(tls.ca, "utf8");
    await expect(by(renewedCa).report({ phase: "progress" })).rejects.toThrow(/cannot reach the operator/);
    server.reloadTls(readFileSync(tls.cert, "utf8"), readFileSync(tls.key, "utf8"));
    await by(renewedCa).report({ phase: "progress", data: { epoch: 2 } });
    expect(received.at(-1)?.update.data).toEqual({ epoch: 2 });
    ca = renewedCa; // for the tests below
  });

  const pushUrl = () => `https://127.0.0.1:${server.port}/v1/monitoring`;
  /** A raw POST to the monitoring route: status, the connection header, and how much of the body was sent. */
  const rawPush = (token: string, body: Buffer, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        pushUrl(),
        {
          method: "POST",
          ca,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  it("takes a serving pod's monitoring snapshot (the runtime's push) for the ModelDeployment its owner chain names", async () => {
    writeFileSync(tokenFile, "serving-token\n");
    const transport = httpsPush({ url: `https://127.0.0.1:${server.port}/v1/report`, tokenFile, ca });
    try {
      await transport.push(
        JSON.stringify({ windowSeconds: 60, baseline: { configured: true } }),
        new AbortController().signal,
      );
    } finally {
      transport.close();
    }
    expect(snapshots.at(-1)?.sender).toMatchObject({ kind: "ModelDeployment", name: "churn", uid: "md-uid-1" });
    expect(snapshots.at(-1)?.body).toEqual({ windowSeconds: 60, baseline: { configured: true } });
  });

  it("refuses a monitoring push without a token or from a run pod, and a run report from a serving pod", async () => {
    const before = snapshots.length;
    const body = Buffer.from("{}");
    expect((await rawPush("", body)).status).toBe(401);
    expect((await rawPush("stolen-token", body)).status).toBe(401);
    expect((await rawPush("good-token", body)).status).toBe(403); // a prepare pod: Job, not ReplicaSet
    expect(snapshots.length).toBe(before);
    writeFileSync(tokenFile, "serving-token");
    const status = await reporter()
      .report({ phase: "succeeded" })
      .then(() => 200)
      .catch((e: ReportError) => e.status);
    expect(status).toBe(403); // a serving pod cannot report a run
  });

  it("answers the handler's 503 (not the leader) and closes the connection, so a retry may reach another replica", async () => {
    const r = await rawPush("serving-token", Buffer.from(JSON.stringify({ busy: true })));
    expect(r).toEqual({ status: 503, connection: "close" });
  });

  it("finding: poller.ts checks its body limit only after reading the whole body — a monitoring push over 4 MiB is refused, the handler never sees it", async () => {
    const before = snapshots.length;
    const big = Buffer.alloc(4 * 1024 * 1024 + 16, 0x20);
    // Declared too large: refused from the header.
    expect((await rawPush("serving-token", big)).status).toBe(413);
    // Streamed without a length: refused once the bytes read cross the limit.
    expect((await rawPush("serving-token", big, { "transfer-encoding": "chunked" })).status).toBe(413);
    expect(snapshots.length).toBe(before);
  });
});
