// cluster:up's behaviour around an already-running cluster and a taken port, with the real binaries.

import { rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, inject, it } from "vitest";
import { clusterUp, ensureClusterUp } from "../../devcluster/cluster/cluster.js";
import { clusterConfig } from "../../devcluster/cluster/config.js";

describe("cluster:up", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    delete process.env.LIFTOFF_PORT_BASE;
  });

  it("leaves a healthy running cluster alone when started twice", async () => {
    const again = await ensureClusterUp(inject("clusterName"), { build: false });
    expect(again.alreadyRunning).toBe(true);
    expect(again.kubeconfig).toBe(inject("kubeconfig"));
  });

  it("refuses a port that is already in use, naming it, and starts nothing", async () => {
    const base = 19440;
    server = createServer();
    await new Promise<void>((r) => server?.listen(base + 3, "127.0.0.1", r));
    process.env.LIFTOFF_PORT_BASE = String(base);
    const attempt = clusterUp("portclash", { build: false, log: () => undefined });
    await expect(attempt).rejects.toThrow(
      `port ${base + 3} (apiserver) on 127.0.0.1 is already in use; stop what holds it or set LIFTOFF_PORT_BASE to another base port`,
    );
    rmSync(clusterConfig("portclash").stateDir, { recursive: true, force: true });
  });
});
