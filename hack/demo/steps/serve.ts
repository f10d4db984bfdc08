// Steps: serve the trained model with a ModelDeployment, then predict the DataSet's test split as raw records.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../../devcluster/node-agent/service-endpoint.js";
import { s3ClientFor } from "../../../devcluster/seaweedfs/bucket.js";
import { s3Location } from "../../../runtime/src/s3-uri.js";
import { s3ObjectStore } from "../../../runtime/src/storage/object-store.js";
import { downloadVersion } from "../../../runtime/src/storage/version-folder.js";
import { applyObject, waitForCondition } from "../kube.js";
import { clusterS3, loadSample } from "../samples.js";
import { type DemoContext, need, type Step, StepFailure } from "../steps.js";
import { type LabelledRecord, testRecords } from "../test-split.js";
import { versionDataKey } from "../vault.js";

const NAME = "penguins";

/** On another cluster the pods' addresses are not reachable from here; the steps that call them say so. */
const OUTSIDE =
  "its pods are not reachable from this machine: kubectl port-forward svc/penguins 8080 -n <namespace> (the request steps are skipped)";

export const deployStep: Step = {
  name: "deploy",
  title: "apply the ModelDeployment (config/samples/penguins/modeldeployment.yaml) and wait until it is Ready",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const mdep = loadSample("modeldeployment", ctx.options.namespace);
    await applyObject(kc, mdep);
    const ref = { kind: "ModelDeployment", namespace: ctx.options.namespace, name: NAME } as const;
    await waitForCondition(kc, ref, "Ready", { timeoutMs: 180_000 });
    if (ctx.options.reuseCluster) return `Ready; ${OUTSIDE}`;
    const ep = await serviceEndpoint(kc, ctx.options.namespace, NAME);
    ctx.results.set("endpoint", ep.url);
    return `serving at ${ep.url} from pod ${ep.pod}`;
  },
};

/** Accuracy of predicted labels against the true ones (pure). */
export function accuracy(predicted: string[], records: LabelledRecord[]): number {
  const right = records.filter((r, i) => predicted[i] === r.label).length;
  return records.length === 0 ? 0 : right / records.length;
}

interface V1Answer {
  predictions: number[][];
  labels?: string[];
}

const mdepRef = (ctx: DemoContext) =>
  ({ kind: "ModelDeployment", namespace: ctx.options.namespace, name: NAME }) as const;

/** One V1 predict call with raw records (and the API key once the auth step planted one). */
export async function predictRequest(ctx: DemoContext, records: Record<string, unknown>[]): Promise<V1Answer> {
  const url = need(ctx.results.get("endpoint") as string | undefined, "the endpoint");
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = ctx.results.get("apiKey") as string | undefined;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/v1/models/${NAME}:predict`, {
    method: "POST",
    headers,
    body: JSON.stringify({ instances: records }),
  });
  const text = await res.text();
  if (!res.ok) throw new StepFailure(`HTTP ${res.status}: ${text}`, mdepRef(ctx));
  return JSON.parse(text) as V1Answer;
}

/** pvc://<claim>/<path> of a version → its folder on this machine (the local node agent's claim folder). */
async function claimVersionFolder(kc: Parameters<typeof claimHostFolder>[0], ns: string, uri: string): Promise<string> {
  const [, claim, ...path] = uri.replace(/^pvc:\/\//, "/").split("/");
  return join(await claimHostFolder(kc, ns, claim ?? ""), ...path);
}

/**
 * s3://<bucket>/<prefix> of a version → a temporary copy (every file checked against the manifest's sha256, as a
 * training pod stages it), removed by done(). The files stay encrypted; testRecords decrypts on the tmpfs.
 */
async function downloadedVersion(clusterName: string, uri: string): Promise<{ folder: string; done: () => void }> {
  const { conn, keys } = clusterS3(clusterName);
  const { bucket, key } = s3Location(uri);
  const folder = mkdtempSync(join(tmpdir(), "liftoff-demo-version-"));
  const client = s3ClientFor(conn.endpoint, keys, conn.region);
  try {
    await downloadVersion(s3ObjectStore(client, bucket), key, folder);
  } catch (err) {
    rmSync(folder, { recursive: true, force: true });
    throw err;
  } finally {
    client.destroy();
  }
  return { folder, done: () => rmSync(folder, { recursive: true, force: true }) };
}

export const predictStep: Step = {
  name: "predict",
  milestone: "first prediction",
  title: "predict the DataSet's test split, sent as raw records by column name (KServe V1), and score it",
  async run(ctx) {
    if (ctx.options.reuseCluster) return "skipped";
    const kc = need(ctx.kc, "the cluster");
    // biome-ignore lint/suspicious/noExplicitAny: status read back
    const ds = need(ctx.results.get("dataset") as any, "the DataSet");
    const output = String(ds.status.output);
    const version = output.startsWith("s3://")
      ? await downloadedVersion(need(ctx.clusterName, "the local cluster"), output)
      : { folder: await claimVersionFolder(kc, ctx.options.namespace, output), done: () => undefined };
    const key = await versionDataKey(need(ctx.clusterName, "the local cluster"), version.folder, {
      namespace: ctx.options.namespace,
      dataset: String(ds.metadata.name),
    });
    const records = await testRecords(version.folder, key).finally(() => {
      key?.fill(0);
      version.done();
    });
    ctx.results.set("testRecords", records);
    const answer = await predictRequest(
      ctx,
      records.map((r) => r.record),
    );
    if (!answer.labels) {
      throw new StepFailure(`the answer has no class labels: ${JSON.stringify(answer).slice(0, 200)}`, mdepRef(ctx));
    }
    const acc = accuracy(answer.labels, records);
    ctx.results.set("accuracy", acc);
    for (const [i, r] of records.slice(0, 3).entries()) {
      ctx.log(`  ${JSON.stringify(r.record)} → ${answer.labels[i]} (true: ${r.label})`);
    }
    const right = Math.round(acc * records.length);
    return `accuracy on the ${records.length} test-split records: ${acc.toFixed(3)} (${right}/${records.length})`;
  },
};
