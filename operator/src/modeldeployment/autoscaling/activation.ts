// Scale to zero puts the operator's activator in front of the model (Knative's proxy mode): the public Service has no
// selector, and its v1 Endpoints (the mirroring controller makes the EndpointSlice kube-proxy reads) hold the
// activator's addresses, http port only. The activator forwards to the track Services. The API server's service
// proxy does not follow them: it only forwards to pods of the Service's own namespace.
import { child, type DesiredObject } from "../../children/child.js";
import type { ActivatorAddress } from "../../config.js";
import type { Endpoints } from "../../kube/models.js";
import { RESOURCES } from "../../kube/resources.js";
import type { ObjectMeta } from "../../kube/types.js";

/**
 * On the public Service while the activator fronts it. Dropping the selector alone changes nothing the operator's
 * "already applied?" check sees (a field it no longer sets), so this annotation is what makes the switch an apply,
 * and server-side apply then removes the selector the operator owned.
 */
export const ACTIVATOR_ANNOTATION = "liftoff.dev/activator";

/** The Endpoints of the public Service: every advertised activator address, one port named like the Service's. */
export function activatorEndpoints(addresses: readonly ActivatorAddress[], meta: ObjectMeta): DesiredObject<Endpoints> {
  // One subset per port: addresses sharing it are listed together, sorted so the object never reorders.
  const byPort = new Map<number, string[]>();
  for (const a of addresses) byPort.set(a.port, [...(byPort.get(a.port) ?? []), a.ip]);
  const subsets = [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({
      addresses: [...new Set(ips)].sort().map((ip) => ({ ip })),
      ports: [{ name: "http", port, protocol: "TCP" }],
    }));
  return child(RESOURCES.Endpoints, meta, { subsets });
}
