// Clients and small helpers for tests against the real API server.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  ApiException,
  CoreV1Api,
  type KubernetesObject,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../hack/cluster/config.js";
import { serverSideApply } from "../../operator/src/kube/request.js";
import { pollUntil } from "./poll.js";

export function kubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function objectApi(kc: KubeConfig): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(kc);
}

/** Server-side apply, as kubectl apply --server-side would. */
export function apply<T extends KubernetesObject>(kc: KubeConfig, obj: T, fieldManager = "liftoff-tests"): Promise<T> {
  return objectApi(kc).patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

export function readYamlFile<T = KubernetesObject>(path: string): T[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as T);
}

export function crdManifests(): KubernetesObject[] {
  const dir = join(REPO_ROOT, "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => readYamlFile(join(dir, f)));
}

/** Applies the generated CRDs and waits until the API server serves them (Established). */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const api = objectApi(kc);
  for (const crd of crdManifests()) {
    // Raw request: client-node's typed path would drop x-kubernetes-validations and x-kubernetes-int-or-string.
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name}`;
    await serverSideApply(kc, path, crd, "liftoff-tests");
    await pollUntil(`CRD ${crd.metadata?.name} Established`, async () => {
      const live = (await api.read({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        metadata: { name: crd.metadata?.name ?? "" },
      })) as KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } };
      return live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    });
  }
}

/** A namespace of its own for one test file; delete() removes it and everything in it. */
export async function testNamespace(kc: KubeConfig, prefix: string): Promise<{ name: string; delete(): Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await core.createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
  const name = ns.metadata?.name ?? "";
  return {
    name,
    delete: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** The API server's message for a rejected request. */
export function apiErrorMessage(err: unknown): { code: number; message: string } {
  if (err instanceof ApiException) {
    const body = typeof err.body === "string" ? safeJson(err.body) : (err.body as { message?: string });
    return { code: err.code, message: body?.message ?? String(err.body) };
  }
  throw err;
}

function safeJson(text: string): { message?: string } | undefined {
  try {
    return JSON.parse(text) as { message?: string };
  } catch {
    return { message: text };
  }
}

const execFileAsync = promisify(execFile);
export async function kubectl(kubectlPath: string, kubeconfigPath: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(kubectlPath, args, {
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
