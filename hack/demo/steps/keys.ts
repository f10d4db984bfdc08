// Step: before the encrypted DataSet, the OpenBao transit key it is encrypted with and the Vault roles of the pods
// that use it: the DataSet's prepare pod (mints and unwraps data keys) and the TrainingJob's pod (unwraps only).
import type { DataSet, TrainingJob } from "../../../operator/src/api/v1alpha1/index.js";
import { vaultRole } from "../../../operator/src/dataset/desired.js";
import { dataSetNames } from "../../../operator/src/dataset/names.js";
import { trainingVaultRole } from "../../../operator/src/trainingjob/desired.js";
import { trainingNames } from "../../../operator/src/trainingjob/names.js";
import { loadSample } from "../samples.js";
import { need, type Step } from "../steps.js";
import { plantDataKeyRoles } from "../vault.js";

export const dataKeysStep: Step = {
  name: "data-keys",
  title: "create the OpenBao transit key and the Vault roles of the DataSet's and the TrainingJob's pods",
  async run(ctx) {
    if (!ctx.options.encryption) return "skipped: --no-encryption";
    if (ctx.options.reuseCluster) return "skipped: on another cluster, hack/kind/openbao-config.sh creates them";
    const ds = loadSample("dataset", ctx.options.namespace, ctx.options.storage) as unknown as DataSet;
    const tj = loadSample("trainingjob", ctx.options.namespace, ctx.options.storage) as unknown as TrainingJob;
    const transitKey = need(ds.spec.encryption?.transitKey, "the sample's encryption.transitKey");
    const roles = {
      namespace: ctx.options.namespace,
      transitKey,
      dataSet: { role: vaultRole(ds), serviceAccount: dataSetNames(ds.metadata?.name ?? "").serviceAccount },
      trainingJob: {
        role: trainingVaultRole(tj),
        serviceAccount: trainingNames(tj.metadata?.name ?? "").serviceAccount,
      },
    };
    await plantDataKeyRoles(need(ctx.clusterName, "the local cluster"), roles);
    return `transit key ${transitKey}; roles ${roles.dataSet.role} (datakey + decrypt) and ${roles.trainingJob.role} (decrypt only)`;
  },
};
