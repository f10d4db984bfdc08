// Where one request goes (pure): which track by the canary's traffic share (a weighted draw per request, so the
// split is exact on average at any pod count, even at zero), then which ready endpoint, round-robin within the track.
import type { Track } from "../modeldeployment/names.js";

/** The track for one request; `draw` is uniform in [0, 1). 0 % never picks the canary, 100 % always does. */
export function chooseTrack(canaryPercent: number, draw: number = Math.random()): Track {
  if (canaryPercent <= 0) return "stable";
  if (canaryPercent >= 100) return "canary";
  return draw * 100 < canaryPercent ? "canary" : "stable";
}

export interface Endpoint {
  ip: string;
  port: number;
  /** The pod behind it, when the EndpointSlice names one. */
  pod?: string;
}

export const endpointId = (e: Endpoint) => `${e.ip}:${e.port}`;

/** Round-robin over a changing list: each key has a counter; the list is indexed modulo its current length. */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  pick(key: string, endpoints: readonly Endpoint[], exclude: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const usable = exclude.size > 0 ? endpoints.filter((e) => !exclude.has(endpointId(e))) : endpoints;
    if (usable.length === 0) return undefined;
    const i = this.next.get(key) ?? 0;
    this.next.set(key, (i + 1) % 1_000_000_007);
    return usable[i % usable.length];
  }

  forget(key: string): void {
    this.next.delete(key);
  }
}
