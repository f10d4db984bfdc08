// Ready endpoints of the track Services, from an EndpointSlice cache (the informer the operator uses everywhere), and
// a way to wait, with a deadline, until one is ready. Ready and not terminating: a draining pod takes no new request.
// (The local cluster's loopback fallback has empty EndpointSlices; scale to zero needs KEDA, which that mode lacks.)
import type { ObjectCache } from "../controller/informer.js";
import type { EndpointSlice } from "../kube/models.js";
import type { Endpoint } from "./split.js";

const SERVICE_NAME = "kubernetes.io/service-name";

/** The ready, non-terminating endpoints of one slice on its `http` port (else its only port). */
export function sliceEndpoints(slice: EndpointSlice): Endpoint[] {
  if (slice.addressType && slice.addressType !== "IPv4" && slice.addressType !== "IPv6") return [];
  const ports = slice.ports ?? [];
  const port = (ports.find((p) => p.name === "http") ?? (ports.length === 1 ? ports[0] : undefined))?.port;
  if (!port) return [];
  const out: Endpoint[] = [];
  for (const e of slice.endpoints ?? []) {
    // Per the EndpointSlice API, an unset ready condition means ready; terminating endpoints are never ready.
    if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
    for (const ip of e.addresses ?? []) out.push({ ip, port, ...(e.targetRef?.name ? { pod: e.targetRef.name } : {}) });
  }
  return out;
}

export class EndpointsUnavailable extends Error {
  override name = "EndpointsUnavailable";
}

interface Waiter {
  resolve: (eps: Endpoint[]) => void;
}

export class EndpointTracker {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Per Service (ns/name): each slice's ready endpoints, and their de-duplicated union (what requests read). */
  private readonly bySlice = new Map<string, Map<string, Endpoint[]>>();
  private readonly joined = new Map<string, Endpoint[]>();

  constructor(slices: ObjectCache<EndpointSlice>) {
    for (const s of slices.list()) this.index(s, false);
    slices.onEvent((slice, event) => {
      const key = this.index(slice, event === "deleted");
      if (key) this.wake(key);
    });
  }

  /** Updates one slice's endpoints; returns its Service's key. */
  private index(slice: EndpointSlice, deleted: boolean): string | undefined {
    const ns = slice.metadata?.namespace;
    const svc = slice.metadata?.labels?.[SERVICE_NAME];
    if (!ns || !svc) return undefined;
    const key = `${ns}/${svc}`;
    const slices = this.bySlice.get(key) ?? new Map<string, Endpoint[]>();
    if (deleted) slices.delete(slice.metadata?.name ?? "");
    else slices.set(slice.metadata?.name ?? "", sliceEndpoints(slice));
    if (slices.size === 0) this.bySlice.delete(key);
    else this.bySlice.set(key, slices);
    this.joined.delete(key);
    return key;
  }

  /** Ready endpoints of Service ns/name, de-duplicated across its slices. */
  ready(namespace: string, service: string): Endpoint[] {
    const key = `${namespace}/${service}`;
    const cached = this.joined.get(key);
    if (cached) return cached;
    const seen = new Set<string>();
    const out: Endpoint[] = [];
    for (const eps of this.bySlice.get(key)?.values() ?? []) {
      for (const e of eps) {
        const id = `${e.ip}:${e.port}`;
        if (!seen.has(id)) {
          seen.add(id);
          out.push(e);
        }
      }
    }
    this.joined.set(key, out);
    return out;
  }

  /** Resolves with the ready endpoints once there is one; rejects at the signal's abort. */
  waitReady(namespace: string, service: string, signal: AbortSignal): Promise<Endpoint[]> {
    const now = this.ready(namespace, service);
    if (now.length > 0) return Promise.resolve(now);
    const key = `${namespace}/${service}`;
    return new Promise<Endpoint[]>((resolve, reject) => {
      const set = this.waiters.get(key) ?? new Set<Waiter>();
      this.waiters.set(key, set);
      const waiter: Waiter = {
        resolve: (eps) => {
          cleanup();
          resolve(eps);
        },
      };
      const onAbort = () => {
        cleanup();
        reject(new EndpointsUnavailable(`no ready endpoint of ${key}`));
      };
      const cleanup = () => {
        signal.removeEventListener("abort", onAbort);
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      set.add(waiter);
    });
  }

  /** How many requests wait on Service ns/name (tests). */
  waiting(namespace: string, service: string): number {
    return this.waiters.get(`${namespace}/${service}`)?.size ?? 0;
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (!set || set.size === 0) return;
    const [ns = "", svc = ""] = key.split("/");
    const eps = this.ready(ns, svc);
    if (eps.length === 0) return;
    for (const w of [...set]) w.resolve(eps);
  }
}
