// When a running ModelDeployment turns to scale to zero, its public Service loses its selector; the EndpointSlice
// controller then stops managing that Service's slices but leaves them in place ("services without a selector receive
// no endpoint slices from this controller", kube-controller-manager's endpointslice controller), so kube-proxy would
// keep sending to the old pods beside the activator's mirrored slice, and to dead addresses once they are gone.
// Deleting the controller's slices at the switch leaves only the mirror of the operator's Endpoints.
import type { KubeClient } from "../../kube/client.js";
import { RESOURCES } from "../../kube/resources.js";

/** The label selector of the slices the EndpointSlice controller made for one Service. */
function controllerSlicesSelector(service: string): string {
  return `kubernetes.io/service-name=${service},endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io`;
}

/** Deletes the EndpointSlice controller's slices of a Service that no longer has a selector; returns their names. */
export async function dropControllerSlices(
  client: Pick<KubeClient, "list" | "delete">,
  namespace: string,
  service: string,
  signal: AbortSignal,
): Promise<string[]> {
  const { items } = await client.list(
    RESOURCES.EndpointSlice,
    namespace,
    { labelSelector: controllerSlicesSelector(service) },
    { signal },
  );
  const names = items.map((s) => s.metadata?.name ?? "").filter(Boolean);
  for (const n of names) await client.delete(RESOURCES.EndpointSlice, namespace, n, undefined, { signal });
  return names;
}
