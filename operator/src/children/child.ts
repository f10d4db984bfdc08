// One child object a kind wants applied, typed by its resource (pure). Every kind's desired.ts builds its children
// with child(), so a misspelt or excess field in a child's body fails `tsc`.
import { apiVersionOf, type ResourceType } from "../kube/resources.js";
import type { KubeObject, ObjectMeta } from "../kube/types.js";

/** One child to apply: the resource it belongs to and the object, of that resource's type. */
export interface DesiredObject<T extends KubeObject = KubeObject> {
  resource: ResourceType<T>;
  object: T & { apiVersion: string; kind: string; metadata: ObjectMeta };
}

/** A child of `resource`: its body is checked against that resource's type (excess and misspelt fields fail). */
export function child<T extends KubeObject>(
  resource: ResourceType<T>,
  metadata: ObjectMeta,
  body: Omit<T, "apiVersion" | "kind" | "metadata">,
): DesiredObject<T> {
  const object = {
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
    metadata,
    ...body,
  } as DesiredObject<T>["object"];
  return { resource, object };
}

/**
 * Whether `obj` is controlled by `owner` (its controller ownerReference carries the owner's uid). A child found by
 * name alone could be anyone's: a Job a user made with the name the operator would give must not stand in for it.
 */
export function controlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && !!obj.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid);
}

/** The condition message for a child that exists under the operator's name but is not controlled by the owner. */
export function notControlledMessage(kind: string, name: string | undefined, ownerKind: string): string {
  return `${kind} ${name} exists but is not controlled by this ${ownerKind}, so it is not used; delete or rename it`;
}
