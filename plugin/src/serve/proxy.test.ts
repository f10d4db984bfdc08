import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedCert } from "../../../test/support/self-signed.js";
import { proxyRequest, serviceProxyPath } from "./proxy.js";

// A local TLS server in the API server's place: it counts connections and echoes what a proxied request carried.
let dir: string;
let server: Server;
let kc: KubeConfig;
let connections = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "liftoff-proxy-"));
  const { cert, key } = selfSignedCert(dir);
  server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, apiKey: req.headers["x-api-key"], auth: req.headers.authorization }));
  });
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, caData: readFileSync(cert).toString("base64") }],
    users: [{ name: "u", token: "kube-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("proxyRequest", () => {
  it("sends the kubeconfig's credentials and the model's key, many requests over one kept connection", async () => {
    const path = serviceProxyPath("ml", "iris", "http", "/v1/models/iris:predict");
    for (let i = 0; i < 10; i++) {
      const answer = await proxyRequest(kc, {
        method: "POST",
        path,
        apiKey: "k1",
        json: { instances: [[1]] },
        timeoutMs: 5000,
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ path, apiKey: "k1", auth: "Bearer kube-token" });
    }
    expect(connections).toBe(1);
  });
});
