// The API resource only the activator touches, typed with just the fields it reads (kept here so the shared resource
// table in kube/resources.ts needs no edit for it).
import type { ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export const ACTIVATOR_RESOURCES = {
  EndpointSlice: {
    group: "discovery.k8s.io",
    version: "v1",
    kind: "EndpointSlice",
    plural: "endpointslices",
    namespaced: true,
  } as ResourceType<EndpointSlice>,
};
