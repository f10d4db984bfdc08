// Runs the operator in-process for integration tests, under its own ServiceAccount and the ClusterRole in
// config/rbac/ (never as admin), so any call the role does not allow shows up as a 403.
import { join } from "node:path";
import { AuthenticationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, inject } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { parseConfig } from "../../operator/src/config.js";
import { type OperatorHandle, startOperator } from "../../operator/src/operator.js";
import { kubectl, type Obj, testNamespace } from "./kube.js";

export const OPERATOR_NAMESPACE = "liftoff-system";

/** Installs config/rbac (and the operator namespace) and returns a kubeconfig holding the operator SA's token. */
async function operatorKubeConfig(admin: KubeConfig, kubectlPath: string, kubeconfigPath: string): Promise<KubeConfig> {
  await kubectl(kubectlPath, kubeconfigPath, ["apply", "-f", join(REPO_ROOT, "config/manager/namespace.yaml")]);
  await kubectl(kubectlPath, kubeconfigPath, ["apply", "-k", join(REPO_ROOT, "config/rbac")]);
  const core = admin.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: "liftoff-operator",
    namespace: OPERATOR_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error("admin kubeconfig has no cluster");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "liftoff-operator", token }],
    contexts: [{ name: "operator", cluster: cluster.name, user: "liftoff-operator" }],
    currentContext: "operator",
  });
  // Prove the identity really is the ServiceAccount, not admin.
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  if (review.status?.userInfo?.username !== `system:serviceaccount:${OPERATOR_NAMESPACE}:liftoff-operator`) {
    throw new Error(`operator kubeconfig authenticates as ${review.status?.userInfo?.username}`);
  }
  return kc;
}

export async function startTestOperator(
  kc: KubeConfig,
  namespaces: string[],
  flags: string[] = [],
  /** Receives every operator log line (at debug level) when given; else LIFTOFF_TEST_LOG decides, silent by default. */
  logSink?: (line: string) => void,
): Promise<OperatorHandle> {
  const config = parseConfig(
    [
      `--namespaces=${namespaces.join(",")}`,
      "--metrics-bind-address=127.0.0.1:0",
      "--leader-elect=true",
      `--lease-namespace=${OPERATOR_NAMESPACE}`,
      "--lease-duration=4",
      "--renew-deadline=3",
      "--retry-period=1",
      "--concurrency=4",
      // A Lease of its own, so operators of different test files (or an in-cluster one) never wait on each other.
      `--lease-name=test-${Math.random().toString(36).slice(2, 10)}`,
      ...flags,
    ],
    {},
  );
  const log = logSink
    ? pino({ level: "debug" }, { write: (line: string) => logSink(line) })
    : pino({ level: process.env.LIFTOFF_TEST_LOG ?? "silent" });
  return startOperator(config, { kubeConfig: kc, log });
}

/** Total API writes a running operator has made. */
export function totalWrites(op: OperatorHandle): number {
  return [...op.writes().values()].reduce((a, b) => a + b, 0);
}

/** Requests the API server refused with 403, by "verb resource". */
export async function forbiddenRequests(op: OperatorHandle): Promise<string[]> {
  const metric = await op.metrics.apiRequests.get();
  return metric.values.filter((v) => v.labels.code === "403").map((v) => `${v.labels.verb} ${v.labels.resource}`);
}

export async function reconcileCount(op: OperatorHandle): Promise<number> {
  const metric = await op.metrics.reconcileTotal.get();
  return metric.values.reduce((a, v) => a + v.value, 0);
}

/** Waits until the operator's writes and reconciles stop changing (two samples 300 ms apart agree). */
export async function settled(op: OperatorHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const now = `${totalWrites(op)}/${await reconcileCount(op)}`;
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`operator still busy after ${timeoutMs} ms`);
}

/** Creates a ModelDeployment (as whoever `kc` is) with the given spec. */
export async function createModelDeployment(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace,
    plural: "modeldeployments",
    body: { apiVersion: "liftoff.dev/v1alpha1", kind: "ModelDeployment", metadata: { name, namespace }, spec },
  });
}

/** Reads a ModelDeployment as whoever `kc` is. */
export async function getModelDeployment(kc: KubeConfig, namespace: string, name: string): Promise<Obj> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace,
    plural: "modeldeployments",
    name,
  })) as Obj;
}

export interface OperatorFixture {
  /** This file's namespace. */
  ns: { name: string; delete(): Promise<void> };
  /** Kubeconfig of the operator's ServiceAccount (config/rbac). */
  operatorKc: KubeConfig;
  /** The operator watching `ns` (unless the fixture was made with start: false). */
  op: OperatorHandle;
}

/**
 * The per-file setup the operator tests share: registers beforeAll/afterAll that make a namespace, install
 * config/rbac, optionally run `setup` (e.g. install CRDs the operator detects at start), start an operator for the
 * namespace and wait until it leads; and stop and delete them afterwards.
 */
export function operatorFixture(
  admin: KubeConfig,
  prefix: string,
  opts: {
    /** The operator's flags, or a function that makes them (e.g. with reportFlags, which is async). */
    flags?: string[] | (() => Promise<string[]>);
    start?: boolean;
    setup?: () => Promise<void>;
    restricted?: boolean;
    logSink?: (line: string) => void;
  } = {},
): OperatorFixture {
  const fx = {} as OperatorFixture;
  beforeAll(async () => {
    fx.ns = await testNamespace(admin, prefix, { restricted: opts.restricted ?? false });
    fx.operatorKc = await operatorKubeConfig(admin, inject("kubectl"), inject("kubeconfig"));
    await opts.setup?.();
    if (opts.start === false) return;
    const flags = typeof opts.flags === "function" ? await opts.flags() : opts.flags;
    fx.op = await startTestOperator(fx.operatorKc, [fx.ns.name], flags, opts.logSink);
    await fx.op.leading;
  });
  afterAll(async () => {
    await fx.op?.stop();
    await fx.ns?.delete();
  });
  return fx;
}
