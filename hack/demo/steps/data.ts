// Steps: the raw CSV onto a claim, then the DataSet that prepares it (clean, standardise, one-hot, split, encrypt).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { s3ClientFor } from "../../../devcluster/seaweedfs/bucket.js";
import { s3ObjectStore } from "../../../runtime/src/storage/object-store.js";
import { applyObject, readObject, waitForCondition } from "../kube.js";
import { clusterS3, loadSample, PENGUINS_CSV } from "../samples.js";
import { need, type Step } from "../steps.js";

// biome-ignore lint/suspicious/noExplicitAny: status read back from the API
type Obj = Record<string, any>;

/** The raw CSV into s3://<bucket>/raw/penguins.csv through Liftoff's storage layer (its sha256 as metadata). */
async function uploadRawCsv(clusterName: string): Promise<string> {
  const { conn, keys } = clusterS3(clusterName);
  const client = s3ClientFor(conn.endpoint, keys, conn.region);
  try {
    const put = await s3ObjectStore(client, conn.bucket).upload(PENGUINS_CSV, "raw/penguins.csv");
    return `s3://${conn.bucket}/raw/penguins.csv (${put.bytes} bytes, sha256 ${put.sha256.slice(0, 12)})`;
  } finally {
    client.destroy();
  }
}

export const rawDataStep: Step = {
  name: "raw-data",
  title:
    "put the raw Palmer penguins CSV (examples/penguins.csv, 344 rows) on the claim liftoff-data (--storage s3: in the bucket)",
  async run(ctx) {
    if (ctx.options.storage === "s3") return uploadRawCsv(need(ctx.clusterName, "the local cluster"));
    if (ctx.options.reuseCluster) return "skipped: on another cluster the DataSet carries the CSV inline";
    const folder = await claimHostFolder(need(ctx.kc, "the cluster"), ctx.options.namespace, "liftoff-data");
    mkdirSync(join(folder, "raw"), { recursive: true });
    copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
    return "pvc://liftoff-data/raw/penguins.csv";
  },
};

/** The summary line of a prepared DataSet (pure). */
function describeDataSet(ds: Obj): string {
  const r = ds.status?.rows ?? {};
  const enc = ds.spec?.encryption ? `encrypted with transit key ${ds.spec.encryption.transitKey}` : "not encrypted";
  return (
    `${r.total} of ${r.read} rows kept (${r.dropped} with missing values dropped); ` +
    `train ${r.train} / validation ${r.validation} / test ${r.test}; ${enc}; version ${ds.status?.version}`
  );
}

export const dataSetStep: Step = {
  name: "dataset",
  title:
    "apply the DataSet (config/samples/penguins/dataset.yaml; --storage s3: penguins-s3/) and wait for its prepare Job (DuckDB)",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const ds = loadSample("dataset", ctx.options.namespace, ctx.options.storage);
    const spec = ds.spec as Obj;
    // The sample names an in-cluster endpoint; the local cluster's pods reach SeaweedFS on the node's address.
    if (ctx.options.storage === "s3")
      spec.storage.endpoint = clusterS3(need(ctx.clusterName, "the local cluster")).conn.podEndpoint;
    if (!ctx.options.encryption) delete spec.encryption;
    if (ctx.options.reuseCluster) spec.source = { inline: { data: readFileSync(PENGUINS_CSV, "utf8") } };
    await applyObject(kc, ds);
    const ref = { kind: "DataSet", namespace: ds.metadata.namespace, name: ds.metadata.name } as const;
    await waitForCondition(kc, ref, "Ready", { timeoutMs: 300_000 });
    const prepared = await readObject(kc, ref);
    ctx.results.set("dataset", prepared);
    return describeDataSet(prepared);
  },
};
