// The operator's API client: raw JSON requests (nothing dropped by model re-serialization), a client-side rate
// limit, server-side apply with one field manager, and a hook that counts requests by verb and code. Every call
// takes RequestOptions last: a reconcile passes its signal, and a default timeout bounds the rest.
import type { KubeConfig } from "@kubernetes/client-node";
import { TokenBucket } from "../util/token-bucket.js";
import { applyRequest, KubeApiError, type KubeRequest, kubeRequest, type RequestOptions } from "./request.js";
import { apiVersionOf, type ResourceType, resourcePath } from "./resources.js";
import type { KubeList, KubeObject, ObjectMeta } from "./types.js";
import { startWatch, type WatchEvent, type WatchHandle } from "./watch.js";

/** What a server-side apply sends: apiVersion, kind, name, and any subset of the rest. */
export type ApplyBody<T extends KubeObject> = Omit<Partial<T>, "apiVersion" | "kind" | "metadata"> & {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
};

export type Verb = "get" | "list" | "watch" | "apply" | "create" | "update" | "patch" | "delete";
type RequestObserver = (verb: Verb, resource: string, code: number, seconds: number) => void;

export interface KubeClientOptions {
  fieldManager: string;
  qps?: number;
  burst?: number;
  observe?: RequestObserver;
  /** Name the field manager on merge patches too (the activator's own client; the operator's patches stay unnamed). */
  patchFieldManager?: boolean;
}

export class KubeClient {
  private readonly limiter: TokenBucket;
  readonly fieldManager: string;

  constructor(
    readonly kc: KubeConfig,
    private readonly opts: KubeClientOptions,
  ) {
    this.limiter = new TokenBucket(opts.qps ?? 50, opts.burst ?? 100);
    this.fieldManager = opts.fieldManager;
  }

  private async call<T>(verb: Verb, r: ResourceType, req: KubeRequest, ro: RequestOptions): Promise<T> {
    await this.limiter.take();
    const start = performance.now();
    try {
      const out = await kubeRequest<T>(this.kc, req, ro);
      this.opts.observe?.(verb, r.plural, 200, (performance.now() - start) / 1000);
      return out;
    } catch (err) {
      const code = err instanceof KubeApiError ? err.code : 0;
      this.opts.observe?.(verb, r.plural, code, (performance.now() - start) / 1000);
      throw err;
    }
  }

  get<T extends KubeObject>(
    r: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    ro: RequestOptions = {},
  ): Promise<T> {
    return this.call("get", r, { method: "GET", path: resourcePath(r, namespace, name) }, ro);
  }

  /** GET that answers undefined for 404 instead of throwing. */
  async getOptional<T extends KubeObject>(
    r: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    ro: RequestOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(r, namespace, name, ro);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Lists with pagination (500 per page), so a large relist does not time out or balloon one response. */
  async list<T extends KubeObject>(
    r: ResourceType<T>,
    namespace?: string,
    params: Record<string, string> = {},
    ro: RequestOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    do {
      const query: Record<string, string> = { limit: "500", ...params, ...(cont ? { continue: cont } : {}) };
      const page = await this.call<KubeList<T>>(
        "list",
        r,
        { method: "GET", path: resourcePath(r, namespace), query },
        ro,
      );
      for (const item of page.items) items.push({ apiVersion: apiVersionOf(r), kind: r.kind, ...item });
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  watch(
    r: ResourceType,
    namespace: string | undefined,
    params: Record<string, string>,
    onEvent: (ev: WatchEvent) => void,
  ): Promise<WatchHandle> {
    this.opts.observe?.("watch", r.plural, 200, 0);
    return startWatch(this.kc, resourcePath(r, namespace), params, onEvent);
  }

  /**
   * Server-side apply under the operator's field manager (force: the operator owns what it declares). The body is
   * an apply configuration: only the fields the operator owns, so any part of the object may be left out.
   */
  apply<T extends KubeObject>(
    r: ResourceType<T>,
    obj: ApplyBody<T>,
    subresource?: "status",
    ro: RequestOptions = {},
  ): Promise<T> {
    const m = obj.metadata ?? {};
    return this.call(
      "apply",
      r,
      applyRequest(resourcePath(r, m.namespace, m.name, subresource), obj, this.fieldManager),
      ro,
    );
  }

  create<T extends KubeObject>(r: ResourceType<T>, obj: T, ro: RequestOptions = {}): Promise<T> {
    return this.call("create", r, { method: "POST", path: resourcePath(r, obj.metadata?.namespace), body: obj }, ro);
  }

  update<T extends KubeObject>(
    r: ResourceType<T>,
    obj: T,
    subresource?: "status",
    ro: RequestOptions = {},
  ): Promise<T> {
    const m = obj.metadata ?? {};
    return this.call(
      "update",
      r,
      { method: "PUT", path: resourcePath(r, m.namespace, m.name, subresource), body: obj },
      ro,
    );
  }

  mergePatch<T extends KubeObject>(
    r: ResourceType<T>,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: "status" | "scale",
    ro: RequestOptions = {},
  ): Promise<T> {
    return this.call(
      "patch",
      r,
      {
        method: "PATCH",
        path: resourcePath(r, namespace, name, subresource),
        ...(this.opts.patchFieldManager ? { query: { fieldManager: this.fieldManager } } : {}),
        body: patch,
        contentType: "application/merge-patch+json",
      },
      ro,
    );
  }

  /** DELETE; a missing object counts as deleted. */
  async delete(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    propagation = "Background",
    ro: RequestOptions = {},
  ): Promise<void> {
    try {
      await this.call(
        "delete",
        r,
        {
          method: "DELETE",
          path: resourcePath(r, namespace, name),
          body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: propagation },
        },
        ro,
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return;
      throw err;
    }
  }
}

export { KubeApiError, type RequestOptions };
