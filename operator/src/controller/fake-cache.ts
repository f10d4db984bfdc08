// An in-memory ObjectCache for unit tests of controllers and reconcilers: set() and remove() notify handlers as an
// informer would, with the previous version on updates.
import type { ResourceType } from "../kube/resources.js";
import { type KubeObject, keyOf } from "../kube/types.js";
import type { InformerHandler, ObjectCache } from "./informer.js";

export class FakeCache<T extends KubeObject = KubeObject> implements ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];

  constructor(
    readonly resource: ResourceType<T>,
    initial: T[] = [],
  ) {
    for (const o of initial) this.objects.set(keyOf(o), o);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  ownedBy(uid: string): T[] {
    return this.list().filter((o) => o.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid));
  }

  onEvent(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  set(obj: T): void {
    const old = this.objects.get(keyOf(obj));
    this.objects.set(keyOf(obj), obj);
    for (const h of this.handlers) h(obj, old ? "updated" : "added", old);
  }

  remove(obj: T): void {
    this.objects.delete(keyOf(obj));
    for (const h of this.handlers) h(obj, "deleted");
  }
}
