// The admin's egress allow-list (operator --egress-allow) as the pod env the runtime's egress guard reads. Only pods
// that fetch something over http(s) get it, so editing the list rolls no pod that cannot use it.
import { podEnv } from "../contract/pod-env.js";

const HTTP = /^https?:\/\//i;

/** The pod env POD_ENV.egressAllow when an allow-list is set and one of `uris` is an http(s) URL; else nothing. */
export function egressEnv(
  allow: string | undefined,
  uris: readonly (string | undefined)[],
): { name: string; value: string }[] {
  return allow && uris.some((u) => u !== undefined && HTTP.test(u)) ? [podEnv("egressAllow", allow)] : [];
}
