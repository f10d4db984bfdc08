// A pod's Vault identity (pure): the projected service-account token of audience "vault" with a short TTL, the CA
// that signed Vault's certificate, and the variables runtime/src/vault/env.ts reads. The DataSet, TrainingJob and
// ModelDeployment pod builders call withVaultIdentity; no Secret and no static token is involved.
import type { V1Container, V1EnvVar, V1PodSpec, V1Volume } from "@kubernetes/client-node";
import { POD_ENV, podEnv } from "../contract/pod-env.js";
import type { Wire } from "../kube/types.js";

type PodSpec = Wire<V1PodSpec>;
type Container = Wire<V1Container>;
type EnvVar = Wire<V1EnvVar>;

/** Where workloads find Vault (operator flags, see docs/vault.md). */
export interface VaultSettings {
  /** As pods reach it, e.g. https://vault.vault.svc:8200 or, on the local cluster, https://10.N.0.1:PORT. */
  address: string;
  /** Kubernetes auth mount (default "kubernetes"). */
  authMount?: string;
  /**
   * A ConfigMap in the workload's namespace holding the CA bundle; the local cluster's OpenBao is signed by the
   * cluster CA, which the controller-manager publishes in every namespace as kube-root-ca.crt. Omitted: the
   * image's system CAs.
   */
  caConfigMap?: { name: string; key: string };
  /** Lifetime of the projected token (the API server's minimum is 600 s; the node agent/kubelet renews it). */
  tokenExpirationSeconds?: number;
}

export const VAULT_AUDIENCE = "vault";
const VAULT_VOLUME = "liftoff-vault";
export const VAULT_MOUNT_PATH = "/var/run/secrets/liftoff/vault";
const VAULT_TOKEN_FILE = `${VAULT_MOUNT_PATH}/token`;
const VAULT_CA_FILE = `${VAULT_MOUNT_PATH}/ca.crt`;
const DEFAULT_TOKEN_EXPIRATION_SECONDS = 600;
export const LOCAL_CA_CONFIGMAP = { name: "kube-root-ca.crt", key: "ca.crt" } as const;

function vaultVolume(settings: VaultSettings): Wire<V1Volume> {
  return {
    name: VAULT_VOLUME,
    projected: {
      defaultMode: 0o440,
      sources: [
        {
          serviceAccountToken: {
            audience: VAULT_AUDIENCE,
            expirationSeconds: settings.tokenExpirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS,
            path: "token",
          },
        },
        ...(settings.caConfigMap
          ? [
              {
                configMap: {
                  name: settings.caConfigMap.name,
                  items: [{ key: settings.caConfigMap.key, path: "ca.crt" }],
                },
              },
            ]
          : []),
      ],
    },
  };
}

function vaultEnv(settings: VaultSettings, role: string): EnvVar[] {
  return [
    podEnv("vaultAddr", settings.address),
    ...(settings.caConfigMap ? [podEnv("vaultCaCert", VAULT_CA_FILE)] : []),
    podEnv("vaultRole", role),
    podEnv("vaultAuthMount", settings.authMount ?? "kubernetes"),
    podEnv("vaultTokenFile", VAULT_TOKEN_FILE),
    // The pod names itself to Vault (X-Liftoff-Pod), so the access record says which pod read a DataSet version.
    { name: POD_ENV.vaultPodName.name, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  ];
}

function withIdentity(c: Container, env: EnvVar[]): Container {
  const names = new Set(env.map((e) => e.name));
  return {
    ...c,
    env: [...(c.env ?? []).filter((e) => !names.has(e.name)), ...env],
    volumeMounts: [
      ...(c.volumeMounts ?? []).filter((m) => m.name !== VAULT_VOLUME),
      { name: VAULT_VOLUME, mountPath: VAULT_MOUNT_PATH, readOnly: true },
    ],
  };
}

/**
 * The pod spec with the Vault volume, mount and variables added to `containers` (all when omitted). The pod must
 * run under its own service account: that name, with the namespace and audience, is what the Vault role binds.
 */
export function withVaultIdentity(
  spec: PodSpec,
  settings: VaultSettings,
  role: string,
  containers?: string[],
): PodSpec {
  const env = vaultEnv(settings, role);
  const pick = (c: Container) => containers === undefined || containers.includes(c.name);
  return {
    ...spec,
    volumes: [...(spec.volumes ?? []).filter((v) => v.name !== VAULT_VOLUME), vaultVolume(settings)],
    containers: spec.containers.map((c) => (pick(c) ? withIdentity(c, env) : c)),
    ...(spec.initContainers
      ? { initContainers: spec.initContainers.map((c) => (pick(c) ? withIdentity(c, env) : c)) }
      : {}),
  };
}
