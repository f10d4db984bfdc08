// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing model: the holder renews every
// retryPeriod; others take over once leaseDuration passes without a renewal. Writes use resourceVersion
// (optimistic concurrency), so two candidates can never both win the same term. Elapsed time is measured on a
// monotonic clock (performance.now), never the wall clock, and each renewal attempt is aborted once renewDeadline
// has passed since the last good renewal, so a leader whose API connection hangs stops leading in time.
import type { Logger } from "pino";
import type { KubeClient } from "../kube/client.js";
import { KubeApiError, type RequestOptions } from "../kube/request.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { boundSignal } from "../util/abort.js";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

const micro = (d: Date) => d.toISOString().replace("Z", "000Z"); // MicroTime: RFC3339 with microseconds
/** Milliseconds on a monotonic clock: wall-clock steps (NTP, a resumed VM) must not expire or extend a lease. */
const monotonicMs = () => performance.now();

export class LeaderElector {
  private stopped = false;
  private leading = false;
  private observedRenew = 0;
  private observedHolder: string | undefined;
  private observedRenewTime: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries to take or renew the lease once; true when this candidate holds it afterwards. */
  async tryAcquireOrRenew(ro: RequestOptions = {}): Promise<boolean> {
    const r = RESOURCES.Lease;
    const now = new Date();
    const lease = await this.client.getOptional<KubeObject & { spec?: LeaseSpec }>(
      r,
      this.opts.namespace,
      this.opts.name,
      ro,
    );
    const mine: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationSeconds,
      renewTime: micro(now),
    };
    if (!lease) {
      await this.client.create(
        r,
        {
          apiVersion: apiVersionOf(r),
          kind: "Lease",
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: { ...mine, acquireTime: micro(now), leaseTransitions: 0 },
        },
        ro,
      );
      return true;
    }
    const spec = lease.spec ?? {};
    // Expiry is judged by our own clock from when we last saw the record change (clocks may differ between hosts).
    if (spec.holderIdentity !== this.observedHolder || spec.renewTime !== this.observedRenewTime) {
      this.observedHolder = spec.holderIdentity;
      this.observedRenewTime = spec.renewTime;
      this.observedRenew = monotonicMs();
    }
    const heldByOther = spec.holderIdentity && spec.holderIdentity !== this.opts.identity;
    const expired =
      monotonicMs() - this.observedRenew > (spec.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000;
    if (heldByOther && !expired) return false;
    const takingOver = spec.holderIdentity !== this.opts.identity;
    await this.client.update(
      r,
      {
        ...lease,
        spec: {
          ...spec,
          ...mine,
          ...(takingOver ? { acquireTime: micro(now) } : {}),
          // As client-go: any new holder counts, including one taking a Lease released by its previous holder.
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
        },
      },
      undefined,
      ro,
    );
    return true;
  }

  /**
   * Campaigns until elected, then renews; calls onStoppedLeading if a renewal fails for renewDeadline
   * (the caller should then exit, as client-go's users do, so it never acts on a stale belief). As client-go, every
   * attempt is bounded: while leading, by what is left of renewDeadline since the last good renewal (a hung request
   * is aborted and counts as a failed renewal); while campaigning, by renewDeadline.
   */
  async run(onStartedLeading: () => void, onStoppedLeading: () => void): Promise<void> {
    let lastRenew = 0;
    let lastError: string | undefined;
    while (!this.stopped) {
      let ok = false;
      const deadlineMs = this.opts.renewDeadlineSeconds * 1000;
      const budget = this.leading ? Math.max(0, lastRenew + deadlineMs - monotonicMs()) : deadlineMs;
      const bound = boundSignal([], Math.max(1, budget));
      try {
        ok = await this.tryAcquireOrRenew({ signal: bound.signal, timeoutMs: Math.max(1, budget) });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) {
          // Said once per distinct error, not every retry period; a missing namespace gets what to do about it.
          const message = (err as Error).message;
          if (message !== lastError) {
            const hint =
              err instanceof KubeApiError && err.code === 404
                ? `namespace ${this.opts.namespace} not found: create it, pass --lease-namespace, or run with --leader-elect=false`
                : undefined;
            this.log.warn({ err: message, ...(hint ? { hint } : {}) }, "lease update failed; retrying");
          }
          lastError = message;
        }
      } finally {
        bound.dispose();
      }
      if (this.stopped) return;
      if (ok) {
        lastError = undefined;
        lastRenew = monotonicMs();
        if (!this.leading) {
          this.leading = true;
          this.log.info(
            { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity },
            "became leader",
          );
          onStartedLeading();
        }
      } else if (this.leading && (bound.signal.aborted || monotonicMs() - lastRenew > deadlineMs)) {
        // bound.signal aborted: the attempt ran into renewDeadline (a hung request counts as a failed renewal).
        this.leading = false;
        this.log.error("lost the leader lease");
        onStoppedLeading();
        return;
      }
      await new Promise((r) => setTimeout(r, this.opts.retryPeriodSeconds * 1000));
    }
  }

  /** Stops campaigning without touching the lease (what a crash looks like to the others). */
  abandon(): void {
    this.stopped = true;
    this.leading = false;
  }

  /** Gives the lease up on shutdown so a standby takes over at once instead of after leaseDuration. */
  async release(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    this.leading = false;
    const r = RESOURCES.Lease;
    const lease = await this.client.getOptional<KubeObject & { spec?: LeaseSpec }>(
      r,
      this.opts.namespace,
      this.opts.name,
    );
    if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
    await this.client
      .update(r, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: micro(new Date()) },
      })
      .catch(() => undefined);
  }
}
