// Clients and small helpers for tests against the real API server.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: objects read back from the API are free-form in tests
export type Obj = Record<string, any>;

export function kubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function objectApi(kc: KubeConfig): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(kc);
}

export function readYamlFile<T = KubernetesObject>(path: string): T[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as T);
}

/** A namespace of its own for one test file; delete() removes it and everything in it. */
export async function testNamespace(
  kc: KubeConfig,
  prefix: string,
  opts: { restricted?: boolean } = {},
): Promise<{ name: string; delete(): Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  // restricted: the API server's PodSecurity admission rejects any pod below the restricted standard.
  const labels: Record<string, string> = opts.restricted ? { "pod-security.kubernetes.io/enforce": "restricted" } : {};
  const ns = await core.createNamespace({ body: { metadata: { generateName: `${prefix}-`, labels } } });
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
