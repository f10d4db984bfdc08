// The cluster connection, the kubectl way: --kubeconfig (else $KUBECONFIG, else ~/.kube/config), --context, and the
// namespace from -n, else the context's, else "default". Imported lazily (invocation.ts), so --help never loads
// @kubernetes/client-node.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { fromKubeError, PluginError } from "./errors.js";
import { GROUP, type KindInfo, VERSION } from "./kinds.js";

// biome-ignore lint/suspicious/noExplicitAny: objects are read as the API server sends them; commands narrow them
export type KubeObject = Record<string, any> & {
  metadata: { name: string; namespace?: string; uid?: string; creationTimestamp?: string; [k: string]: unknown };
};

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeoutMs?: number;
}

export class Kube {
  private constructor(
    readonly kc: k8s.KubeConfig,
    /** The namespace commands work in. */
    readonly namespace: string,
    /** The API server's address, for error messages. */
    readonly server: string,
    readonly requestTimeoutMs: number,
  ) {}

  static connect(opts: KubeOptions, env: NodeJS.ProcessEnv = process.env): Kube {
    const kc = new k8s.KubeConfig();
    const file = opts.kubeconfig;
    if (file !== undefined) {
      if (!existsSync(file)) {
        throw new PluginError(
          "NoCluster",
          `kubeconfig ${file} does not exist`,
          "pass a kubeconfig file that exists to --kubeconfig",
        );
      }
      kc.loadFromFile(file);
    } else {
      const defaultFile = join(homedir(), ".kube", "config");
      if (!env.KUBECONFIG && !existsSync(defaultFile) && !env.KUBERNETES_SERVICE_HOST) {
        throw new PluginError(
          "NoCluster",
          "no kubeconfig: $KUBECONFIG is unset and ~/.kube/config does not exist",
          "pass --kubeconfig FILE or set KUBECONFIG",
        );
      }
      try {
        kc.loadFromDefault();
      } catch (err) {
        throw new PluginError(
          "NoCluster",
          `cannot read the kubeconfig: ${(err as Error).message}`,
          "pass --kubeconfig FILE",
        );
      }
    }
    if (opts.context !== undefined) {
      if (!kc.getContexts().some((c) => c.name === opts.context)) {
        const names = kc.getContexts().map((c) => c.name);
        throw new PluginError(
          "NoCluster",
          `context "${opts.context}" is not in the kubeconfig`,
          names.length ? `use one of: ${names.join(", ")}` : "the kubeconfig has no contexts",
        );
      }
      kc.setCurrentContext(opts.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new PluginError(
        "NoCluster",
        "the kubeconfig has no current cluster",
        "pass --context NAME or set current-context",
      );
    }
    const contextNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
    return new Kube(kc, opts.namespace ?? contextNs ?? "default", cluster.server, opts.requestTimeoutMs ?? 30_000);
  }

  api<T extends k8s.ApiType>(apiClass: new (config: k8s.Configuration) => T): T {
    return this.kc.makeApiClient(apiClass);
  }

  /** Runs one API call; its errors become PluginErrors naming `what`; it fails after the request timeout. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PluginError(
              "NoCluster",
              `the API server at ${this.server} did not answer within ${this.requestTimeoutMs / 1000}s`,
              "check the cluster, or raise --request-timeout",
            ),
          ),
        this.requestTimeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      throw fromKubeError(err, what, this.server);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One Liftoff object; NotFound names it with its kind and namespace. */
  async getLiftoff(kind: KindInfo, name: string, namespace = this.namespace): Promise<KubeObject> {
    const api = this.api(k8s.CustomObjectsApi);
    return this.call(`${kind.singular} "${name}" in namespace ${namespace}`, () =>
      api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: kind.plural, name }),
    ) as Promise<KubeObject>;
  }

  /** Liftoff objects of one kind in a namespace, or everywhere with `namespace: null`. */
  async listLiftoff(
    kind: KindInfo,
    namespace: string | null = this.namespace,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    const api = this.api(k8s.CustomObjectsApi);
    const sel = labelSelector ? { labelSelector } : {};
    const list = (await this.call(`${kind.plural}${namespace ? ` in namespace ${namespace}` : ""}`, () =>
      namespace === null
        ? api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: kind.plural, ...sel })
        : api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: kind.plural, ...sel }),
    )) as { items?: KubeObject[] };
    return list.items ?? [];
  }
}
