// `npm start -- [flags]`: the demo's flags and help text (pure).
import { parseArgs } from "node:util";

/** What the demo serves: the penguins model it trains itself, a pretrained image classifier (issue #25), or a small
 * language model on the OpenAI API (issue #26). */
const SAMPLES = ["penguins", "image", "llm"] as const;
export type Sample = (typeof SAMPLES)[number];

/** Where the penguins sample keeps its data and model: claims (default) or the local cluster's S3 bucket (#27). */
const STORAGES = ["pvc", "s3"] as const;
export type DemoStorage = (typeof STORAGES)[number];

export interface DemoOptions {
  /** --sample: which path the demo shows. */
  sample: Sample;
  /** --storage: the penguins sample's raw CSV, DataSet versions and model on claims or in the S3 bucket. */
  storage: DemoStorage;
  /** Encrypt the DataSet's output with the OpenBao transit key (default on). */
  encryption: boolean;
  /** Leave the local cluster running when the demo exits or is stopped. */
  keepCluster: boolean;
  /** Use the cluster in $KUBECONFIG (kind, or any cluster with Liftoff installed) instead of the local one. */
  reuseCluster: boolean;
  /** Wipe the local cluster's state first. */
  fresh: boolean;
  /** Namespace the demo's objects go to. */
  namespace: string;
  /** Exit after the last step instead of waiting for Ctrl-C. */
  exit: boolean;
  /** --loop: serve penguins with capture and retrain and show one full closed loop (docs/loop.md). */
  loop: boolean;
}

export type Parsed = { help: true } | { help: false; options: DemoOptions };

export class UsageError extends Error {}

export interface StepInfo {
  name: string;
  title: string;
}

export function parseDemoArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        "no-encryption": { type: "boolean" },
        "keep-cluster": { type: "boolean" },
        "reuse-cluster": { type: "boolean" },
        fresh: { type: "boolean" },
        namespace: { type: "string" },
        exit: { type: "boolean" },
        sample: { type: "string" },
        storage: { type: "string" },
        loop: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; npm start -- --help lists the flags`);
  }
  if (values.help) return { help: true };
  const namespace = (values.namespace as string | undefined) ?? "liftoff-demo";
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new UsageError(`--namespace "${namespace}" is not a valid namespace name (lowercase letters, digits, '-')`);
  }
  const sample = (values.sample as string | undefined) ?? "penguins";
  if (!(SAMPLES as readonly string[]).includes(sample)) {
    throw new UsageError(`--sample "${sample}" is not one of ${SAMPLES.join(", ")}`);
  }
  if (sample !== "penguins" && values["reuse-cluster"]) {
    throw new UsageError(`--sample ${sample} puts the model on a claim from this machine: it needs the local cluster`);
  }
  const storage = (values.storage as string | undefined) ?? "pvc";
  if (!(STORAGES as readonly string[]).includes(storage)) {
    throw new UsageError(`--storage "${storage}" is not one of ${STORAGES.join(", ")}`);
  }
  if (storage === "s3") {
    if (sample !== "penguins") throw new UsageError(`--storage s3 is for the penguins sample, not --sample ${sample}`);
    if (values["reuse-cluster"]) {
      throw new UsageError(
        "--storage s3 uses the local cluster's S3 server (SeaweedFS); it cannot be combined with --reuse-cluster",
      );
    }
    if (values["no-encryption"]) {
      throw new UsageError(
        "--storage s3 reads the S3 keys from Vault as the roles the data-keys step creates; it cannot be combined with --no-encryption",
      );
    }
  }
  if (values.loop) {
    if (sample !== "penguins") throw new UsageError(`--loop is for the penguins sample, not --sample ${sample}`);
    if (values["reuse-cluster"]) {
      throw new UsageError("--loop sends traffic to the pods from this machine: it needs the local cluster");
    }
    if (storage === "s3") throw new UsageError("--loop keeps its capture on the claim: use it without --storage s3");
  }
  if (values["reuse-cluster"] && values.fresh) {
    throw new UsageError("--fresh wipes the local cluster; it cannot be combined with --reuse-cluster");
  }
  return {
    help: false,
    options: {
      sample: sample as Sample,
      storage: storage as DemoStorage,
      encryption: !values["no-encryption"],
      keepCluster: Boolean(values["keep-cluster"]),
      reuseCluster: Boolean(values["reuse-cluster"]),
      fresh: Boolean(values.fresh),
      namespace,
      exit: Boolean(values.exit),
      loop: Boolean(values.loop),
    },
  };
}

export function helpText(
  steps: StepInfo[],
  imageSteps: StepInfo[] = [],
  llmSteps: StepInfo[] = [],
  loopSteps: StepInfo[] = [],
): string {
  const width = Math.max(...[...steps, ...imageSteps, ...llmSteps, ...loopSteps].map((s) => s.name.length));
  return [
    "npm start [-- flags]: Liftoff's main job on this machine, from raw data to a secured, monitored model.",
    "",
    "Steps, in order (each prints what it does and how long it took):",
    ...steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${s.title}`),
    "",
    ...(imageSteps.length > 0
      ? [
          "With --sample image (a pretrained image classifier instead of the penguins model):",
          ...imageSteps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${s.title}`),
          "",
        ]
      : []),
    ...(llmSteps.length > 0
      ? [
          "With --sample llm (a small language model on the OpenAI API instead of the penguins model):",
          ...llmSteps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${s.title}`),
          "",
        ]
      : []),
    ...(loopSteps.length > 0
      ? [
          "With --loop (the closed loop: drift → retrain → canary → promoted, docs/loop.md):",
          ...loopSteps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${s.title}`),
          "",
        ]
      : []),
    "Flags:",
    "  --no-encryption   store the prepared DataSet unencrypted (skips the OpenBao transit key)",
    "  --keep-cluster    leave the local cluster running after Ctrl-C (npm run cluster:down stops it)",
    "  --reuse-cluster   use the cluster in $KUBECONFIG, with Liftoff already installed (kind: hack/kind/),",
    "                    instead of starting the local one; nothing in that cluster is stopped afterwards",
    "  --fresh           wipe the local cluster's state (.liftoff/local) first",
    "  --namespace NAME  namespace for the demo's objects (default liftoff-demo)",
    "  --exit            exit after the last step instead of waiting for Ctrl-C",
    "  --sample NAME     penguins (default: data → trained model), image (EfficientNet-Lite0 classifies photos",
    "                    through TF Serving's gRPC client and tritonclient; config/samples/…_modeldeployment_image.yaml)",
    "                    or llm (SmolLM2 on llama.cpp streams a chat answer to the openai Python client;",
    "                    config/samples/…_modeldeployment_llm.yaml)",
    "  --storage NAME    pvc (default) or s3: the penguins CSV, the DataSet's encrypted versions and the model live",
    "                    in the local cluster's S3 bucket (SeaweedFS; config/samples/penguins-s3, docs/storage.md)",
    "  --loop            serve penguins with spec.capture and spec.retrain (config/samples/penguins-loop) and show",
    "                    one full loop: labels that follow a changed rule → Degraded → retrain on original +",
    "                    captured rows → canary → promoted by the operator itself",
    "  -h, --help        this text",
    "",
    "Ctrl-C at any step stops everything the demo started, by PID.",
  ].join("\n");
}
