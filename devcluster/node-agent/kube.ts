// API clients for the agent, and small helpers around client-node's error and patch conventions.
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { makePooledApiClient } from "../../operator/src/kube/agent.js";

export interface Kube {
  kc: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  storage: StorageV1Api;
  /** The API server's address as seen from this machine, e.g. https://127.0.0.1:16443. */
  server: string;
}

export function makeKube(kubeconfigFile: string): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  return {
    kc,
    // Keep-alive connections: client-node's own clients open a new TLS connection for every call.
    core: makePooledApiClient(kc, CoreV1Api),
    coordination: makePooledApiClient(kc, CoordinationV1Api),
    storage: makePooledApiClient(kc, StorageV1Api),
    server: kc.getCurrentCluster()?.server ?? "",
  };
}

/** client-node's generated patch methods need the patch type spelled out (kubernetes-client/javascript#1398). */
export const strategicMerge = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The HTTP status of a failed API call, if it got that far. */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

export function describe(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === "number" && e.body !== undefined) {
    const body = typeof e.body === "string" ? safeJson(e.body) : e.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
  }
  return e?.message ?? String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** Runs `fn`, mapping a 404 to `undefined`. */
export async function orNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}
