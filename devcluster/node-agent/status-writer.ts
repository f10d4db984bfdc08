// Writes one pod's status: changes are coalesced into one patch at a time, and a patch that changes nothing is
// skipped. metadata.uid in the patch guards against writing into a newer pod that reuses the name.
import type { V1Pod } from "@kubernetes/client-node";
import { describe, httpStatus, type Kube, strategicMerge } from "./kube.js";

export interface StatusSource {
  kube: Kube;
  log(line: string): void;
  pod(): V1Pod;
  /** The status to write now. */
  status(): unknown;
  /** The pod object is gone (or the agent stops): write nothing more. */
  gone(): boolean;
}

export class PodStatusWriter {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private lastWritten = "";

  constructor(private readonly src: StatusSource) {}

  /** Something changed: a write follows shortly (one at a time; changes meanwhile join the next). */
  markDirty(): void {
    if (this.src.gone()) return;
    this.dirty = true;
    if (!this.writing) {
      this.writing = this.flush().finally(() => {
        this.writing = undefined;
      });
    }
  }

  /**
   * The pod as the API server now has it (an informer update). Someone else may have changed its status: the node
   * lifecycle controller marks every pod of a node not ready when the node's heartbeat lapsed (the API server down
   * longer than the grace period), and skipping "unchanged" writes left them not ready for good. When a condition or
   * the phase differs from what this agent would write, it writes again, as the kubelet's status manager reconciles.
   */
  observed(): void {
    if (this.src.gone() || this.lastWritten === "") return;
    const want = this.src.status() as { phase?: string; conditions?: { type: string; status: string }[] };
    const have = this.src.pod().status;
    const differs =
      want.phase !== have?.phase ||
      (want.conditions ?? []).some((c) => have?.conditions?.find((h) => h.type === c.type)?.status !== c.status);
    if (!differs) return;
    this.lastWritten = "";
    this.markDirty();
  }

  /** Resolves once the write in progress, if any, is done. */
  async settled(): Promise<void> {
    await this.writing;
  }

  private async flush(): Promise<void> {
    await delay(20);
    while (this.dirty && !this.src.gone()) {
      this.dirty = false;
      const status = this.src.status();
      const text = JSON.stringify(status);
      if (text === this.lastWritten) continue;
      const pod = this.src.pod();
      const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      try {
        await this.src.kube.core.patchNamespacedPodStatus(
          {
            name: pod.metadata?.name ?? "",
            namespace: pod.metadata?.namespace ?? "default",
            body: { metadata: { uid: pod.metadata?.uid }, status },
          },
          strategicMerge,
        );
        this.lastWritten = text;
      } catch (err) {
        const code = httpStatus(err);
        if (code === 404 || code === 409 || code === 422) {
          this.src.log(`pod ${name}: status not written (${describe(err)}); the pod is gone or replaced`);
          return;
        }
        this.src.log(`pod ${name}: status write failed, retrying: ${describe(err)}`);
        this.dirty = true;
        await delay(1000);
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
