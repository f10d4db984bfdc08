// Steps: the raw CSV onto a claim, then the DataSet that prepares it (clean, standardise, one-hot, split, encrypt).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { claimHostFolder } from "../../../devcluster/node-agent/claim-folder.js";
import { applyObject, readObject, waitForCondition } from "../kube.js";
import { loadSample, PENGUINS_CSV } from "../samples.js";
import { need, type Step } from "../steps.js";

// biome-ignore lint/suspicious/noExplicitAny: status read back from the API
type Obj = Record<string, any>;

export const rawDataStep: Step = {
  name: "raw-data",
  title: "put the raw Palmer penguins CSV (examples/penguins.csv, 344 rows) on the claim liftoff-data",
  async run(ctx) {
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
  title: "apply the DataSet (config/samples/penguins/dataset.yaml) and wait for its prepare Job (DuckDB)",
  async run(ctx) {
    const kc = need(ctx.kc, "the cluster");
    const ds = loadSample("dataset", ctx.options.namespace);
    const spec = ds.spec as Obj;
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
