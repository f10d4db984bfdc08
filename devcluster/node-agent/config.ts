// The agent's settings: which fake nodes it plays and where it keeps pod state (pure).
import { join } from "node:path";

export interface NodeShape {
  name: string;
  /** nvidia.com/gpu capacity; a node with GPUs gets the GPU label and NoSchedule taint. */
  gpus: number;
  cpu: string;
  memory: string;
  pods: number;
  /** The node's address and the /24 its pods get their loopback addresses from. */
  address: string;
  podCIDR: string;
}

/** `name[:gpu=N][:cpu=N][:memory=Q][:pods=N]`, comma-separated. */
export const DEFAULT_NODES = "gpu-node-1:gpu=2,cpu-node-1";

/** Node i's address is `${podNetwork}.i.1` (loopback); its pods' /24 is `${podPrefix}.i.0/24` (loopback or netns range). */
export function parseNodes(text: string, podNetwork: string, podPrefix = podNetwork): NodeShape[] {
  const entries = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new Error("no nodes configured (LIFTOFF_NODES is empty)");
  if (entries.length > 250) throw new Error("at most 250 nodes fit the loopback pod network");
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const [name = "", ...opts] = entry.split(":");
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`node name "${name}" is not a DNS label`);
    if (seen.has(name)) throw new Error(`node "${name}" is listed twice`);
    seen.add(name);
    const shape: NodeShape = {
      name,
      gpus: 0,
      cpu: "4",
      memory: "16Gi",
      pods: 110,
      address: `${podNetwork}.${index + 1}.1`,
      podCIDR: `${podPrefix}.${index + 1}.0/24`,
    };
    for (const opt of opts) {
      const [key, value = ""] = opt.split("=");
      if (key === "gpu" || key === "pods") {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0)
          throw new Error(`node "${name}": ${key} must be a whole number, got "${value}"`);
        if (key === "gpu") shape.gpus = n;
        else shape.pods = Math.min(n, 250);
      } else if (key === "cpu" || key === "memory") {
        if (!/^[0-9.]+[a-zA-Z]*$/.test(value)) throw new Error(`node "${name}": bad ${key} "${value}"`);
        shape[key] = value;
      } else {
        throw new Error(`node "${name}": unknown option "${key}" (use gpu, cpu, memory, pods)`);
      }
    }
    return shape;
  });
}

export interface AgentConfig {
  kubeconfig: string;
  stateDir: string;
  /** Per-pod folders: logs, volumes and each container's root. */
  podsDir: string;
  /** PersistentVolume folders made by the provisioner. */
  volumesDir: string;
  healthPort: number;
  /** The kubelet API for `kubectl logs`, with its serving certificate; 0 turns it off. */
  kubeletPort: number;
  tlsCert?: string;
  tlsKey?: string;
  nodes: NodeShape[];
  repoRoot: string;
}

export function agentConfig(opts: {
  kubeconfig: string;
  stateDir: string;
  healthPort: number;
  kubeletPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  nodes: string;
  podNetwork: string;
  /** "10.N" when pods get their own network namespaces; default the loopback `podNetwork`. */
  podPrefix?: string;
  repoRoot: string;
}): AgentConfig {
  if (!/^127\.[0-9]{1,3}$/.test(opts.podNetwork))
    throw new Error(`pod network must look like 127.N, got "${opts.podNetwork}"`);
  return {
    kubeconfig: opts.kubeconfig,
    stateDir: opts.stateDir,
    podsDir: join(opts.stateDir, "pods"),
    volumesDir: join(opts.stateDir, "volumes"),
    healthPort: opts.healthPort,
    kubeletPort: opts.kubeletPort ?? 0,
    ...(opts.tlsCert ? { tlsCert: opts.tlsCert } : {}),
    ...(opts.tlsKey ? { tlsKey: opts.tlsKey } : {}),
    nodes: parseNodes(opts.nodes, opts.podNetwork, opts.podPrefix),
    repoRoot: opts.repoRoot,
  };
}
