// The egress allow-list's syntax and the reason a pod fails with when the egress guard (runtime/src/net/egress.ts)
// refuses a destination. The operator checks its --egress-allow with the same syntax before passing it to pods as
// LIFTOFF_EGRESS_ALLOW; the runtime reports the reason (prepare), writes it in its termination message (train) or
// puts it first in its error line (serve), and the operator copies it into the condition (operator/src/reasons.ts).
import { isIP } from "node:net";

export const EgressReason = {
  EgressRefused: "EgressRefused",
} as const;

export const EGRESS_REFUSED = EgressReason.EgressRefused;

const HOST = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** The entries of an allow-list: comma-separated, trimmed, blanks dropped. */
export function egressAllowEntries(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

/** What an entry is: a CIDR or IP address (`10.0.0.0/8`, `fd00::/8`), a host name, or a `.suffix`; else undefined. */
export function egressEntryKind(entry: string): "cidr" | "host" | "suffix" | undefined {
  const [addr = "", len, extra] = entry.split("/");
  const family = isIP(addr);
  if (family !== 0) {
    if (extra !== undefined) return undefined;
    if (len === undefined) return "cidr";
    return /^\d{1,3}$/.test(len) && Number(len) <= (family === 4 ? 32 : 128) ? "cidr" : undefined;
  }
  if (!HOST.test(entry)) return undefined;
  return entry.startsWith(".") ? "suffix" : "host";
}
