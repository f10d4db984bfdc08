// The objects the operator builds at run time for the samples in config/samples/ (pure, no cluster): each folder of
// samples is one namespace; its DataSets, TrainingJobs and ModelDeployments go through the kinds' own desired-state
// builders, with the statuses a successful run would give (a published DataSet version, a trained model) so that
// every child is built. The policy scan (test/unit/checkov.test.ts) reads them; `npx tsx hack/render-run-objects.ts`
// prints them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { DataSet, ModelDeployment, TrainingJob } from "../../operator/src/api/v1alpha1/index.js";
import { DEFAULT_RUNTIME_IMAGE } from "../../operator/src/config.js";
import { cleanupJob, prepareJob, serviceAccount } from "../../operator/src/dataset/desired.js";
import type { KubeObject } from "../../operator/src/kube/types.js";
import { desiredObjects as servingObjects } from "../../operator/src/modeldeployment/desired.js";
import { resolveModel } from "../../operator/src/modeldeployment/model-source.js";
import { baselineFor } from "../../operator/src/modeldeployment/monitoring/baseline.js";
import { ConditionType } from "../../operator/src/reasons.js";
import { dataVersionOf, desiredObjects as trainingObjects } from "../../operator/src/trainingjob/desired.js";

/** What the operator is started with (its flags); the report CA is a placeholder, it is only copied into env. */
const REPORT = {
  url: "https://liftoff-operator-report.liftoff-system.svc:9443/v1/report",
  caPem: "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n",
};
const VAULT = { address: "https://vault.vault.svc:8200", caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" } };
const CAPABILITIES = { serviceMonitor: true, gatewayAPI: true, prometheusRule: true };
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const READY = (type: string) => [
  { type, status: "True", reason: type, message: "", lastTransitionTime: "2026-01-01T00:00:00Z" },
];

/** The sample folders: config/samples itself and each folder under it (a use case applied with `kubectl -k`). */
function sampleFolders(root: string): { namespace: string; docs: KubeObject[] }[] {
  const folders = [
    { namespace: "samples", dir: root },
    ...readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({ namespace: `samples-${e.name}`, dir: join(root, e.name) })),
  ];
  return folders.map(({ namespace, dir }) => ({
    namespace,
    docs: readdirSync(dir)
      .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
      .sort()
      .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as KubeObject))
      .filter((d) => d?.apiVersion?.startsWith("liftoff.dev/"))
      .map((d) => ({ ...d, metadata: { ...d.metadata, namespace, uid: `uid-${d.metadata?.name}`, generation: 1 } })),
  }));
}

/** A DataSet as it is once its version is published. */
function published(ds: DataSet): DataSet {
  const output = `pvc://${ds.spec.output.claimName}/${ds.spec.output.path}/${DIGEST.slice(7)}`;
  return { ...ds, status: { digest: DIGEST, output, conditions: READY(ConditionType.Ready) } } as DataSet;
}

/** A TrainingJob as it is once it trained its model onto its output claim. */
function trained(tj: TrainingJob, ds: DataSet): TrainingJob {
  const out = tj.spec.output ?? { claimName: ds.spec.output.claimName, path: `models/${tj.metadata?.name}` };
  const model = { uri: `pvc://${out.claimName}/${out.path}/${DIGEST.slice(7)}`, digest: DIGEST };
  return { ...tj, status: { model, conditions: READY(ConditionType.Succeeded) } } as TrainingJob;
}

export function runObjects(opts: { runtimeImage?: string } = {}): KubeObject[] {
  const runtimeImage = opts.runtimeImage ?? DEFAULT_RUNTIME_IMAGE;
  const out: KubeObject[] = [];
  for (const { docs } of sampleFolders(join(import.meta.dirname, "../../config/samples"))) {
    const of = <T>(kind: string) => docs.filter((d) => d.kind === kind) as T[];
    const dataSets = new Map(of<DataSet>("DataSet").map((d) => [d.metadata?.name ?? "", published(d)]));
    const trainingJobs = new Map<string, TrainingJob>();
    for (const ds of dataSets.values()) {
      const o = { runtimeImage, report: REPORT, vault: VAULT };
      out.push(serviceAccount(ds).object, prepareJob(ds, o).object, cleanupJob(ds, { runtimeImage }).object);
    }
    for (const tj of of<TrainingJob>("TrainingJob")) {
      const ds = dataSets.get(tj.spec.dataSetRef.name);
      const data = dataVersionOf(ds);
      if (!ds || !data) throw new Error(`sample TrainingJob ${tj.metadata?.name}: no DataSet in its folder`);
      trainingJobs.set(tj.metadata?.name ?? "", trained(tj, ds));
      out.push(...trainingObjects(tj, { runtimeImage, data, report: REPORT, vault: VAULT }).map((d) => d.object));
    }
    for (const mdep of of<ModelDeployment>("ModelDeployment")) {
      const stable = resolveModel(mdep.spec.model, (n) => trainingJobs.get(n));
      const baseline = baselineFor(mdep, stable, (n) => dataSets.get(n));
      const ctx = {
        runtimeImage,
        stable,
        capabilities: CAPABILITIES,
        vault: VAULT,
        baseline: baseline && "uri" in baseline ? baseline : undefined,
      };
      out.push(...servingObjects(mdep, ctx).map((d) => d.object));
    }
  }
  return out;
}
