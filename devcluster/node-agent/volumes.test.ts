import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { Kube } from "./kube.js";
import { memoryRoot, SHM } from "./layout.js";
import { makeMemoryRoot, makePodDir, setupVolumes } from "./volumes.js";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe("node agent volume files (issue #24)", () => {
  it("finding: the node agent writes projected service-account tokens 0644 under world-readable pod folders — tokens 0600, pods folder 0750", async () => {
    const root = mkdtempSync(join(tmpdir(), "liftoff-agent-"));
    roots.push(root);
    const podsDir = join(root, "pods");
    const dir = join(podsDir, "team-a", "web-0");
    makePodDir(dir);
    // kubelet keeps its pods folder 0750; the agent's pod folders (and the namespace level) the same.
    expect(mode(podsDir)).toBe(0o750);
    expect(mode(join(podsDir, "team-a"))).toBe(0o750);
    expect(mode(dir)).toBe(0o750);
    const pod: V1Pod = {
      metadata: { name: "web-0", namespace: "team-a", uid: "u1" },
      spec: {
        containers: [{ name: "c" }],
        volumes: [
          {
            name: "kube-api-access",
            // The API server's default for the admission-injected volume: 0644.
            projected: {
              defaultMode: 0o644,
              sources: [
                { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
                { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
              ],
            },
          },
        ],
      },
    };
    const kube = {
      core: { createNamespacedServiceAccountToken: async () => ({ status: { token: "secret-token" } }) },
    } as unknown as Kube;
    const setup = await setupVolumes(
      kube,
      pod,
      dir,
      {
        bytes: { configMap: () => undefined, secret: () => undefined },
        strings: { configMap: () => undefined, secret: () => undefined },
      },
      { podIP: "10.0.0.2", hostIP: "127.0.0.1" },
      { cpu: "1", memory: "1Gi" },
    );
    const folder = setup.folders.get("kube-api-access") ?? "";
    // Pods run as the agent's own user locally, so 0600 still lets the pod's process read its token.
    expect(mode(join(folder, "token"))).toBe(0o600);
    expect(mode(join(folder, "namespace"))).toBe(0o644);
  });

  it("finding: the node agent made medium: Memory emptyDirs under /dev/shm/liftoff-pod-<hash>/ 0755 (world-readable) — now 0750 like pod folders", async () => {
    const root = mkdtempSync(join(tmpdir(), "liftoff-agent-"));
    roots.push(root);
    const dir = join(root, "pods", "team-a", "web-0");
    makePodDir(dir);
    const memRoot = memoryRoot(dir);
    roots.push(memRoot);
    if (existsSync(SHM)) {
      // The agent's own path, on the real tmpfs.
      const pod: V1Pod = {
        metadata: { name: "web-0", namespace: "team-a", uid: "u1" },
        spec: { containers: [{ name: "c" }], volumes: [{ name: "dshm", emptyDir: { medium: "Memory" } }] },
      };
      const setup = await setupVolumes(
        {} as Kube,
        pod,
        dir,
        {
          bytes: { configMap: () => undefined, secret: () => undefined },
          strings: { configMap: () => undefined, secret: () => undefined },
        },
        { podIP: "10.0.0.2", hostIP: "127.0.0.1" },
        { cpu: "1", memory: "1Gi" },
      );
      expect(setup.folders.get("dshm")).toBe(join(memRoot, "dshm"));
      expect(mode(memRoot)).toBe(0o750);
    }
    // A folder left 0755 by an older agent (a restart over a running pod) is tightened too.
    const stale = memoryRoot(dir, root);
    mkdirSync(stale, { mode: 0o755 });
    chmodSync(stale, 0o755);
    expect(makeMemoryRoot(dir, root)).toBe(stale);
    expect(mode(stale)).toBe(0o750);
  });
});
