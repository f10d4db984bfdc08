// Audit events waiting for their DataSet's status write, by DataSet key (namespace/name). The DataSet reconciler
// merges them into status.access (summary.ts) and drops those its written status covers; a failed write leaves them
// for the next reconcile. Bounded per DataSet: past the bound the oldest are dropped (and counted, so it shows).
import type { DataKeyAccess } from "./audit-line.js";
import { MAX_VERSIONS, timeKey, type VersionAccess } from "./summary.js";

/** Events kept per DataSet between two status writes; a status write takes a few ms, so this is only reached by a
 * burst while the API server is away. */
const MAX_PENDING = 50_000;

export class PendingAccess {
  private readonly byDataSet = new Map<string, DataKeyAccess[]>();
  /** Events dropped because a DataSet's queue was full. */
  dropped = 0;

  constructor(private readonly onEvent: (key: string) => void = () => undefined) {}

  add(e: DataKeyAccess): void {
    if (e.op !== "read" && e.op !== "refused") return;
    const key = `${e.namespace}/${e.dataset}`;
    let list = this.byDataSet.get(key);
    if (!list) {
      list = [];
      this.byDataSet.set(key, list);
    }
    list.push(e);
    if (list.length > MAX_PENDING) {
      list.shift();
      this.dropped += 1;
    }
    this.onEvent(key);
  }

  pending(key: string): readonly DataKeyAccess[] {
    return this.byDataSet.get(key) ?? [];
  }

  /**
   * Drops the events the written status counts (at or before each version's `through`), and those from before
   * `since` (the DataSet's creation: reads of an earlier DataSet of the same name, which the status leaves out).
   */
  written(key: string, access: readonly VersionAccess[] | undefined, since = ""): void {
    const list = this.byDataSet.get(key);
    if (!list) return;
    const through = new Map((access ?? []).map((v) => [v.keyId, v.through]));
    // A full list left out the versions touched longest ago: their older events would never be written.
    const floor = (access?.length ?? 0) >= MAX_VERSIONS ? ([...through.values()].sort()[0] ?? "") : "";
    const left = list.filter((e) => {
      const t = timeKey(e.time);
      return t >= since && t > (through.get(e.keyId) ?? floor);
    });
    if (left.length > 0) this.byDataSet.set(key, left);
    else this.byDataSet.delete(key);
  }

  /** The DataSet is gone: its events have nowhere to go. */
  forget(key: string): void {
    this.byDataSet.delete(key);
  }
}
