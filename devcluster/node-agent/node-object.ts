// The Node objects and status the agent registers for its fake nodes (pure).
import type { NodeShape } from "./config.js";
import { timestamp } from "./status.js";

const GPU_RESOURCE = "nvidia.com/gpu";
const GPU_LABEL = "nvidia.com/gpu.present";
export const LEASE_NAMESPACE = "kube-node-lease";
export const LEASE_SECONDS = 40;
const KUBELET_VERSION = "v1.35.4-liftoff";

function nodeResources(shape: NodeShape): Record<string, string> {
  return {
    cpu: shape.cpu,
    memory: shape.memory,
    pods: String(shape.pods),
    "ephemeral-storage": "100Gi",
    ...(shape.gpus > 0 ? { [GPU_RESOURCE]: String(shape.gpus) } : {}),
  };
}

export function nodeObject(shape: NodeShape) {
  const gpu = shape.gpus > 0;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: shape.name,
      labels: {
        "kubernetes.io/hostname": shape.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": gpu ? "liftoff-local-gpu" : "liftoff-local",
        "liftoff.dev/local-node": "true",
        ...(gpu ? { [GPU_LABEL]: "true" } : {}),
      },
    },
    spec: {
      podCIDR: shape.podCIDR,
      podCIDRs: [shape.podCIDR],
      ...(gpu ? { taints: [{ key: GPU_RESOURCE, value: "present", effect: "NoSchedule" }] } : {}),
    },
  };
}

export function nodeStatus(shape: NodeShape, kubeletPort = 0, now = timestamp()) {
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    capacity: nodeResources(shape),
    allocatable: nodeResources(shape),
    conditions: [
      cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
      cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      cond("Ready", "True", "KubeletReady", "liftoff node agent is posting ready status"),
    ],
    // InternalIP only: the API server tries Hostname first for `kubectl logs`, and node names do not resolve here.
    addresses: [{ type: "InternalIP", address: shape.address }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: shape.name,
      systemUUID: shape.name,
      bootID: "liftoff",
      kernelVersion: "liftoff-local",
      osImage: "Liftoff local node agent",
      containerRuntimeVersion: "liftoff-local://1",
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: "amd64",
    },
  };
}
