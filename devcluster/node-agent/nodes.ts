// Registers the fake nodes and keeps them alive: a Lease renewal every 10 s, a status heartbeat every minute.
import type { V1Lease } from "@kubernetes/client-node";
import type { NodeShape } from "./config.js";
import { describe, httpStatus, type Kube, mergePatch, orNotFound, strategicMerge } from "./kube.js";
import { LEASE_NAMESPACE, LEASE_SECONDS, nodeObject, nodeStatus } from "./node-object.js";

const LEASE_RENEW_MS = 10_000;
const STATUS_EVERY_MS = 60_000;

/**
 * When the next Lease renewal is due: every 10 s, and after failures sooner (1, 2, 4, 8 s), as the kubelet retries:
 * waiting the full period after an API server outage let the lease lapse past the node lifecycle controller's grace
 * period, which then marked every pod of the node not ready (the fault suite's control-plane fault).
 */
export function heartbeatDelayMs(failures: number): number {
  return failures === 0 ? LEASE_RENEW_MS : Math.min(LEASE_RENEW_MS, 1000 * 2 ** (failures - 1));
}

export class NodeKeeper {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly uids = new Map<string, string>();
  private lastStatus = 0;

  constructor(
    private readonly kube: Kube,
    private readonly nodes: NodeShape[],
    private readonly log: (line: string) => void,
    private readonly kubeletPort = 0,
  ) {}

  /** Creates missing nodes and posts their status; retried by the caller until it succeeds. */
  async register(): Promise<void> {
    for (const shape of this.nodes) {
      const obj = nodeObject(shape);
      let node = await orNotFound(() => this.kube.core.readNode({ name: shape.name }));
      if (node?.spec?.podCIDR && node.spec.podCIDR !== shape.podCIDR) {
        // podCIDR is immutable: a node left from a run with another pod network is replaced.
        this.log(`node ${shape.name}: pod CIDR changed (${node.spec.podCIDR} → ${shape.podCIDR}); re-registering`);
        await orNotFound(() => this.kube.core.deleteNode({ name: shape.name }));
        // Its pods had addresses from the old network; like pods of a vanished node, they go too.
        const pods = await this.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${shape.name}` });
        for (const p of pods.items) {
          const ref = { name: p.metadata?.name ?? "", namespace: p.metadata?.namespace ?? "" };
          await orNotFound(() => this.kube.core.deleteNamespacedPod({ ...ref, gracePeriodSeconds: 0 }));
        }
        node = undefined;
      }
      if (!node) {
        try {
          node = await this.kube.core.createNode({ body: obj as never });
          this.log(`node ${shape.name}: registered`);
        } catch (err) {
          if (httpStatus(err) !== 409) throw err;
          node = await this.kube.core.readNode({ name: shape.name });
        }
      } else {
        // A node left from an earlier run: bring labels, taints and CIDR back to this shape.
        await this.kube.core.patchNode({ name: shape.name, body: obj }, strategicMerge);
      }
      this.uids.set(shape.name, node.metadata?.uid ?? "");
    }
    await this.postStatus();
    await this.renewLeases();
  }

  start(): void {
    let failures = 0;
    const tick = async () => {
      try {
        await this.renewLeases();
        if (Date.now() - this.lastStatus >= STATUS_EVERY_MS) await this.postStatus();
        failures = 0;
      } catch (err) {
        failures++;
        this.log(`node heartbeat failed (will retry): ${describe(err)}`);
        // The node may have been deleted (or etcd wiped): register it again.
        if (httpStatus(err) === 404) await this.register().catch(() => undefined);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), heartbeatDelayMs(failures));
    };
    this.timer = setTimeout(() => void tick(), LEASE_RENEW_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async postStatus(): Promise<void> {
    for (const shape of this.nodes) {
      const status = nodeStatus(shape, this.kubeletPort);
      // Drops a Hostname address an older agent posted (addresses merge by type).
      const addresses = [...status.addresses, { type: "Hostname", $patch: "delete" }];
      await this.kube.core.patchNodeStatus(
        { name: shape.name, body: { status: { ...status, addresses } } },
        strategicMerge,
      );
    }
    this.lastStatus = Date.now();
  }

  private async renewLeases(): Promise<void> {
    // Leases hold MicroTime (6 fractional digits); client-node's Date serialisation writes 3, which the
    // API server rejects, so the time goes in as a string through a merge patch.
    const renewTime = new Date().toISOString().replace(/Z$/, "000Z");
    for (const shape of this.nodes) {
      const spec = { holderIdentity: shape.name, leaseDurationSeconds: LEASE_SECONDS, renewTime };
      const patch = () =>
        this.kube.coordination.patchNamespacedLease(
          { name: shape.name, namespace: LEASE_NAMESPACE, body: { spec } },
          mergePatch,
        );
      const renewed = await orNotFound(patch);
      if (renewed) continue;
      const body: V1Lease = {
        metadata: {
          name: shape.name,
          namespace: LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name: shape.name, uid: this.uids.get(shape.name) ?? "" }],
        },
        spec: { holderIdentity: shape.name, leaseDurationSeconds: LEASE_SECONDS },
      };
      try {
        await this.kube.coordination.createNamespacedLease({ namespace: LEASE_NAMESPACE, body });
      } catch (err) {
        if (httpStatus(err) !== 409) throw err;
      }
      await patch();
    }
  }

  /** Ready for pods: every node exists, reports Ready and has lost the not-ready taint. */
  async schedulable(): Promise<{ ok: boolean; detail: string }> {
    for (const shape of this.nodes) {
      const node = await orNotFound(() => this.kube.core.readNode({ name: shape.name }));
      if (!node) return { ok: false, detail: `node ${shape.name} not registered` };
      const ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      const tainted = (node.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/"));
      if (!ready || tainted) return { ok: false, detail: `node ${shape.name} not schedulable yet` };
    }
    return { ok: true, detail: "ok" };
  }
}
