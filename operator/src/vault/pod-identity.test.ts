import type { V1PodSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Wire } from "../kube/types.js";
import { LOCAL_CA_CONFIGMAP, VAULT_MOUNT_PATH, withVaultIdentity } from "./pod-identity.js";

const spec: Wire<V1PodSpec> = {
  serviceAccountName: "md-serve",
  automountServiceAccountToken: false,
  containers: [
    { name: "serve", image: "runtime", env: [{ name: "LIFTOFF_VAULT_ROLE", value: "stale" }] },
    { name: "sidecar", image: "other" },
  ],
  volumes: [{ name: "tmp", emptyDir: {} }],
};

describe("withVaultIdentity", () => {
  const out = withVaultIdentity(spec, { address: "https://vault:8200", caConfigMap: LOCAL_CA_CONFIGMAP }, "md-role", [
    "serve",
  ]);

  it("adds a projected token of audience vault with a short TTL and the CA, and no Secret", () => {
    const vol = out.volumes?.find((v) => v.name === "liftoff-vault");
    expect(vol?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: "vault", expirationSeconds: 600, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
    ]);
    expect(JSON.stringify(out)).not.toMatch(/"secret"/i);
    expect(out.automountServiceAccountToken).toBe(false);
  });

  it("sets the variables and the read-only mount on the chosen containers only", () => {
    const serve = out.containers[0];
    expect(serve?.env).toEqual([
      { name: "LIFTOFF_VAULT_ADDR", value: "https://vault:8200" },
      { name: "LIFTOFF_VAULT_CACERT", value: `${VAULT_MOUNT_PATH}/ca.crt` },
      { name: "LIFTOFF_VAULT_ROLE", value: "md-role" },
      { name: "LIFTOFF_VAULT_AUTH_MOUNT", value: "kubernetes" },
      { name: "LIFTOFF_VAULT_TOKEN_FILE", value: `${VAULT_MOUNT_PATH}/token` },
      // The pod's own name, which it sends to Vault as X-Liftoff-Pod for the access record.
      { name: "LIFTOFF_VAULT_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ]);
    expect(serve?.volumeMounts).toEqual([{ name: "liftoff-vault", mountPath: VAULT_MOUNT_PATH, readOnly: true }]);
    expect(out.containers[1]).toEqual(spec.containers[1]);
  });

  it("is idempotent and leaves its input alone", () => {
    const twice = withVaultIdentity(
      out,
      { address: "https://vault:8200", caConfigMap: LOCAL_CA_CONFIGMAP },
      "md-role",
      ["serve"],
    );
    expect(twice).toEqual(out);
    expect(spec.volumes).toHaveLength(1);
  });

  it("uses the image's system CAs when no CA ConfigMap is configured", () => {
    const plain = withVaultIdentity(spec, { address: "https://vault.example:8200", tokenExpirationSeconds: 900 }, "r");
    expect(plain.volumes?.[1]?.projected?.sources).toHaveLength(1);
    expect(plain.containers.every((c) => !c.env?.some((e) => e.name === "LIFTOFF_VAULT_CACERT"))).toBe(true);
  });
});
