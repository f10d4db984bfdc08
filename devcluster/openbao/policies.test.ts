import { describe, expect, it } from "vitest";
import { clusterConfig } from "../cluster/config.js";
import { NAMESPACE_KV_POLICY, namespaceKvPolicy, roleBody, rolePolicy } from "./policies.js";
import { openbaoConfig, openbaoLayout } from "./server.js";

describe("Vault policies and roles", () => {
  it("scopes the namespace policy to the login's namespace through the auth mount's accessor", () => {
    expect(namespaceKvPolicy("auth_kubernetes_1234")).toContain(
      'path "secret/data/{{identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace}}/*"',
    );
  });

  it("gives a role exactly its paths, and binds it to one service account, namespace and audience", () => {
    const role = {
      name: "team-a-prep",
      namespace: "team-a",
      serviceAccount: "prep",
      kvPaths: ["secret/data/team-a/postgres"],
      datakeyKeys: ["team-a-data"],
      decryptKeys: ["team-a-data"],
    };
    const policy = rolePolicy(role);
    expect(policy).toContain('path "secret/data/team-a/postgres" {\n  capabilities = ["read"]\n}');
    expect(policy).toContain('path "transit/datakey/wrapped/team-a-data" {\n  capabilities = ["update"]\n}');
    expect(policy).toContain('path "transit/decrypt/team-a-data"');
    expect(policy).not.toContain("transit/encrypt");
    expect(roleBody(role)).toEqual({
      bound_service_account_names: ["prep"],
      bound_service_account_namespaces: ["team-a"],
      audience: "vault",
      token_policies: ["liftoff-role-team-a-prep", NAMESPACE_KV_POLICY],
      token_ttl: 600,
      token_max_ttl: 3600,
    });
    expect(roleBody({ ...role, namespaceKv: false }).token_policies).toEqual(["liftoff-role-team-a-prep"]);
  });

  it("gives the version-key store's writers create, read and shred, its readers only read, and nobody list", () => {
    const base = { name: "r", namespace: "team-a", serviceAccount: "sa" };
    const writer = rolePolicy({ ...base, versionKeys: { access: "write", dataSets: ["penguins"] } });
    expect(writer).toContain(
      'path "secret/data/team-a/liftoff-datakeys/penguins/*" {\n  capabilities = ["create","read"]\n}',
    );
    expect(writer).toContain(
      'path "secret/metadata/team-a/liftoff-datakeys/penguins/*" {\n  capabilities = ["delete"]\n}',
    );
    expect(writer).not.toMatch(/"update"|"list"/);
    const reader = rolePolicy({ ...base, versionKeys: { access: "read" } });
    expect(reader).toContain('path "secret/data/team-a/liftoff-datakeys/+/*" {\n  capabilities = ["read"]\n}');
    expect(reader).not.toContain("secret/metadata");
  });
});

describe("OpenBao server config", () => {
  it("keeps its raft data in the cluster's folder and listens with TLS on loopback only", () => {
    const config = clusterConfig("test", { LIFTOFF_PORT_BASE: "30000" });
    const layout = openbaoLayout(config);
    const hcl = openbaoConfig(config, layout, { cert: "/pki/openbao.crt", key: "/pki/openbao.key" });
    expect(layout.dataDir).toBe(`${config.stateDir}/openbao/data`);
    expect(hcl).toContain(`path    = "${layout.dataDir}"`);
    expect(hcl).toContain('address         = "127.0.0.1:30030"');
    expect(hcl).toContain('tls_cert_file   = "/pki/openbao.crt"');
    expect(hcl).not.toContain("tls_disable");
  });

  it("declares the file audit device the access record reads (OpenBao 2.x refuses one enabled through the API)", () => {
    const config = clusterConfig("test", { LIFTOFF_PORT_BASE: "30000" });
    const layout = openbaoLayout(config);
    const hcl = openbaoConfig(config, layout, { cert: "/pki/openbao.crt", key: "/pki/openbao.key" });
    expect(layout.auditFile).toBe(`${config.stateDir}/openbao/audit.log`);
    expect(hcl).toContain('audit "file" "liftoff-access" {');
    expect(hcl).toContain(`file_path = "${layout.auditFile}"`);
    expect(hcl).toContain('mode      = "0600"');
  });
});
