// `npm run reliability -- [flags]`: the fault suite's flags and help text (pure: --help imports nothing else).
import { parseArgs } from "node:util";

/** The faults in the order they run (issue #24, Deliver 3). */
export const FAULTS = [
  "rolling-update",
  "kill-pod",
  "control-plane",
  "vault-seal",
  "prepare-kill",
  "disk-full",
  "training-kill",
  "vault-seal-training",
  "soak",
  "fuzz",
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface ReliabilityOptions {
  only: FaultName[];
  soakMinutes: number;
  /** Requests per second of the steady load. */
  rate: number;
  /** Reuse a running local cluster of this name instead of starting a fresh one. */
  reuseCluster: boolean;
  /** Leave the cluster running afterwards. */
  keepCluster: boolean;
  cluster: string;
}

export type Parsed = { help: true } | { help: false; options: ReliabilityOptions };

export class UsageError extends Error {}

export function parseReliabilityArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        only: { type: "string" },
        "soak-minutes": { type: "string" },
        rate: { type: "string" },
        "reuse-cluster": { type: "boolean" },
        "keep-cluster": { type: "boolean" },
        cluster: { type: "string" },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; npm run reliability -- --help lists the flags`);
  }
  if (values.help) return { help: true };
  const only = values.only === undefined ? [...FAULTS] : String(values.only).split(",").filter(Boolean);
  const unknown = only.filter((f) => !(FAULTS as readonly string[]).includes(f));
  if (unknown.length > 0 || only.length === 0) {
    throw new UsageError(`--only takes a comma-separated list of ${FAULTS.join(", ")}; got "${values.only}"`);
  }
  const soakMinutes = Number(values["soak-minutes"] ?? "30");
  if (!Number.isFinite(soakMinutes) || soakMinutes < 1 || soakMinutes > 24 * 60) {
    throw new UsageError(`--soak-minutes must be a number of minutes from 1 to 1440, got "${values["soak-minutes"]}"`);
  }
  const rate = Number(values.rate ?? "40");
  if (!Number.isInteger(rate) || rate < 1 || rate > 2000) {
    throw new UsageError(`--rate must be a whole number of requests per second from 1 to 2000, got "${values.rate}"`);
  }
  const cluster = (values.cluster as string | undefined) ?? "reliability";
  if (!/^[a-z0-9-]+$/.test(cluster)) throw new UsageError(`--cluster "${cluster}": lowercase letters, digits and '-'`);
  return {
    help: false,
    options: {
      // The run order is the suite's, whatever order --only named them in.
      only: FAULTS.filter((f) => only.includes(f)),
      soakMinutes,
      rate,
      reuseCluster: Boolean(values["reuse-cluster"]),
      keepCluster: Boolean(values["keep-cluster"]),
      cluster,
    },
  };
}

export const HELP = `npm run reliability -- [flags]

Runs faults against Liftoff on a local cluster (devcluster) under steady load and prints one table:
fault | load | requests sent | failed | data lost | recovery time | verdict. Exits 1 when a target is missed.

Faults, in order: ${FAULTS.join(", ")}
  rolling-update  a ModelDeployment's model changes (new digest) under load: 0 failed requests
  kill-pod        kill -9 of one of two serving pods under load: failed <= in flight on it; recovery time
  control-plane   kube-apiserver and etcd restarted while serving and while a DataSet prepares
  vault-seal      OpenBao sealed while serving: serving goes on, a new pod waits with a condition, resumes on unseal
  prepare-kill    a prepare pod SIGKILLed mid-write: previous version readable, no half-written version
  disk-full       the prepare scratch volume fills up: a clear condition, no corrupt version
  training-kill   a training pod SIGKILLed mid-write of its artifact: previous version readable, retry publishes
  vault-seal-training  OpenBao sealed as a TrainingJob on an encrypted DataSet starts: VaultSealed, Succeeded
                  after the unseal, no plaintext in what the pods wrote
  soak            steady load for --soak-minutes: RSS slope (MB/h), p99 per 5-minute window, 0 errors
  fuzz            HTTP and gRPC fuzzing of a runtime process started directly: no crash, RSS cap

Flags:
  --only a,b          run only these faults (the suite's order is kept)
  --soak-minutes N    soak length in minutes (default 30)
  --rate R            steady load in requests per second (default 40)
  --cluster NAME      local cluster name (default "reliability"; LIFTOFF_PORT_BASE moves its ports)
  --reuse-cluster     reuse that cluster when it is running (default: start it fresh)
  --keep-cluster      leave the cluster running afterwards
  -h, --help          this text
`;
