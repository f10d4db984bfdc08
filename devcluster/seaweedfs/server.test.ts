import { describe, expect, it } from "vitest";
import { clusterConfig } from "../cluster/config.js";
import { DEV_S3_POLICY, devS3Policy, roleBody } from "../openbao/policies.js";
import { clusterWeedPorts, seaweedfsComponent, seaweedfsLayout } from "./seaweedfs.js";
import {
  generateS3Keys,
  S3_VAULT_KV_PATH,
  s3IdentitiesConfig,
  WEED_PORT_COUNT,
  weedPortsFrom,
  weedSocketFiles,
} from "./server.js";

describe("the SeaweedFS S3 server", () => {
  it("gives each identity its own fresh keys and exactly its actions", () => {
    const keys = generateS3Keys();
    const other = generateS3Keys();
    expect(keys.liftoff.accessKeyId).not.toBe(other.liftoff.accessKeyId);
    expect(keys.admin.secretAccessKey).not.toBe(keys.liftoff.secretAccessKey);
    const { identities } = JSON.parse(s3IdentitiesConfig(keys)) as {
      identities: { name: string; credentials: { accessKey: string; secretKey: string }[]; actions: string[] }[];
    };
    const byName = Object.fromEntries(identities.map((i) => [i.name, i]));
    expect(byName.liftoff?.credentials).toEqual([
      { accessKey: keys.liftoff.accessKeyId, secretKey: keys.liftoff.secretAccessKey },
    ]);
    expect(byName.liftoff?.actions).not.toContain("Admin");
    expect(byName.readonly?.actions).toEqual(["Read", "List"]);
    expect(byName.admin?.actions).toContain("Admin");
  });

  it("pins all ten ports inside the cluster's range, in its own folder, loopback only", () => {
    const config = clusterConfig("test", { LIFTOFF_PORT_BASE: "30000" });
    const ports = clusterWeedPorts(config);
    expect(ports.s3).toBe(30060);
    const all = Object.values(ports);
    expect(new Set(all).size).toBe(WEED_PORT_COUNT);
    expect(Math.max(...all)).toBeLessThan(30100);
    const spec = seaweedfsComponent(config, "/b/weed");
    for (const p of all) expect(spec.args.some((a) => a.endsWith(`=${p}`))).toBe(true);
    expect(spec.args).toContain(`-dir=${seaweedfsLayout(config).dataDir}`);
    expect(spec.args).toContain("-ip.bind=127.0.0.1");
    expect(spec.args).toContain("-s3.port.iceberg=0");
    expect(new URL(spec.health.url).hostname).toBe("127.0.0.1");
  });

  it("finds only its own ports' Unix sockets", () => {
    const names = ["seaweedfs-s3-1000.sock", "seaweedfs-filer-grpc-1007.sock", "seaweedfs-s3-2000.sock", "other.sock"];
    expect(weedSocketFiles(weedPortsFrom(1000), names)).toEqual([
      "/tmp/seaweedfs-s3-1000.sock",
      "/tmp/seaweedfs-filer-grpc-1007.sock",
    ]);
  });

  it("lets a role read the S3 keys only through the named dev policy", () => {
    expect(devS3Policy(S3_VAULT_KV_PATH)).toContain('path "secret/data/liftoff/s3" {\n  capabilities = ["read"]\n}');
    const role = { name: "r", namespace: "n", serviceAccount: "sa" };
    expect(roleBody(role).token_policies).not.toContain(DEV_S3_POLICY);
    expect(roleBody({ ...role, extraPolicies: [DEV_S3_POLICY] }).token_policies).toContain(DEV_S3_POLICY);
  });
});
