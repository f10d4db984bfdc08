// The torchrun command line and environment of one worker (pure). Static rendezvous: --nnodes fixed, this worker's
// --node-rank, worker 0's address as master; --max-restarts=0 because a failure restarts the whole group from the
// operator (operator/src/trainingjob/pytorch/group.ts), with new pods and a new master address.
import { SCRIPT_ENV } from "../../contract/pytorch.js";

export interface WorkerPlace {
  /** This worker's index (node rank). */
  index: number;
  workers: number;
  procsPerWorker: number;
  masterAddr: string;
  masterPort: number;
}

/** The files the liftoff Python package reads and writes (docs/pytorch.md): host paths, already resolved. */
export interface ScriptFiles {
  dataDir: string;
  checkpointDir: string;
  exportDir: string;
  events: string;
}

/** `python -m torch.distributed.run` (what the torchrun script runs), then the script and its arguments. */
export function torchrunArgv(python: string, place: WorkerPlace, script: string, args: readonly string[]): string[] {
  return [
    python,
    "-m",
    "torch.distributed.run",
    `--nnodes=${place.workers}`,
    `--node-rank=${place.index}`,
    `--nproc-per-node=${place.procsPerWorker}`,
    `--master-addr=${place.masterAddr}`,
    `--master-port=${place.masterPort}`,
    "--max-restarts=0",
    script,
    ...args,
  ];
}

type Interfaces = Record<string, { address: string }[] | undefined>;

/**
 * The network interface that holds the pod's address. gloo and NCCL pick theirs from what the host name resolves
 * to, which in a pod whose /etc/hosts does not name it (the local cluster's, a hostNetwork-less sandbox) is the
 * loopback: peers would then be told to connect to 127.0.0.1. Naming the interface avoids the guess.
 */
export function podInterface(podIP: string | undefined, interfaces: Interfaces): string | undefined {
  if (!podIP) return undefined;
  return Object.entries(interfaces).find(([, addrs]) => (addrs ?? []).some((a) => a.address === podIP))?.[0];
}

/** The script's environment: the pod's, plus the package's contract and the collectives' interface. */
export function scriptEnv(
  env: NodeJS.ProcessEnv,
  files: ScriptFiles,
  hyperparameters: Record<string, unknown>,
  iface?: string,
): NodeJS.ProcessEnv {
  return {
    // The pod's own choice (an env var of its spec) wins.
    ...(iface ? { GLOO_SOCKET_IFNAME: iface, NCCL_SOCKET_IFNAME: iface } : {}),
    ...env,
    [SCRIPT_ENV.dataDir]: files.dataDir,
    [SCRIPT_ENV.checkpointDir]: files.checkpointDir,
    [SCRIPT_ENV.exportDir]: files.exportDir,
    [SCRIPT_ENV.events]: files.events,
    [SCRIPT_ENV.hyperparameters]: JSON.stringify(hyperparameters),
    // Python writes its tracebacks at once, so the log tail the failure is judged by is complete.
    PYTHONUNBUFFERED: "1",
  };
}
