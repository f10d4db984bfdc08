import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, type User } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { selfSignedCert } from "../../../test/support/self-signed.js";
import { makePooledApiClient, pooledAgent } from "./agent.js";
import { kubeRequest } from "./request.js";
import { startWatch } from "./watch.js";

// A local TLS server standing in for the API server: it counts TLS connections and remembers each request's
// Authorization header. GET /slow never answers (a request to abort); ?watch=1 streams one event and stays open.
let dir: string;
let server: Server;
let port: number;
let caData: string;
let connections = 0;
let authorizations: (string | undefined)[] = [];
/** The client port of each request: the same port is the same connection. */
let ports: (number | undefined)[] = [];
/** The next request to /drop has its connection destroyed without an answer (a server closing a kept connection). */
let dropNext = false;
/** Each request's body as the server read it. */
let bodies: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "liftoff-agent-"));
  const { cert, key } = selfSignedCert(dir);
  caData = readFileSync(cert).toString("base64");
  server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    authorizations.push(req.headers.authorization);
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => bodies.push(body));
    ports.push(req.socket.remotePort);
    if (req.url?.startsWith("/slow")) return; // never answers
    if (req.url?.startsWith("/drop") && dropNext) {
      dropNext = false;
      req.socket.destroy();
      return;
    }
    if (req.url?.includes("watch=1")) {
      // A watch: one event, then the stream stays open.
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "w" } } })}\n`);
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ kind: "Namespace", apiVersion: "v1", metadata: { name: "ml" } }));
  });
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  connections = 0;
  authorizations = [];
  ports = [];
  bodies = [];
});

afterEach(() => {
  vi.useRealTimers();
  // Each test starts with no connection to reuse.
  server.closeAllConnections();
});

function kubeconfig(user: User): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, caData, skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: "x", cluster: "c", user: user.name }],
    currentContext: "x",
  });
  return kc;
}

const get = { method: "GET", path: "/api/v1/namespaces/ml" } as const;

describe("one keep-alive agent per kubeconfig", () => {
  it("many requests, one after another, share one TLS connection", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    for (let i = 0; i < 20; i++) await kubeRequest(kc, get);
    expect(authorizations).toHaveLength(20);
    expect(new Set(authorizations)).toEqual(new Set(["Bearer static"]));
    expect(connections).toBe(1);
  });

  it("concurrent requests open connections once and reuse them for the next burst", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    await Promise.all(Array.from({ length: 8 }, () => kubeRequest(kc, get)));
    const afterFirst = connections;
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(afterFirst).toBeLessThanOrEqual(8);
    await Promise.all(Array.from({ length: 8 }, () => kubeRequest(kc, get)));
    expect(connections).toBe(afterFirst);
  });

  it("a rotated token file is picked up on the kept connection", async () => {
    // As in a pod: client-node's tokenFile provider re-reads the projected token (it caches it for 60 s).
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "first");
    const kc = kubeconfig({ name: "u", authProvider: { name: "tokenFile", config: { tokenFile } } });
    vi.useFakeTimers({ toFake: ["Date"] });
    await kubeRequest(kc, get);
    writeFileSync(tokenFile, "second");
    vi.setSystemTime(Date.now() + 61_000);
    await kubeRequest(kc, get);
    expect(authorizations).toEqual(["Bearer first", "Bearer second"]);
    expect(connections).toBe(1);
  });

  it("an aborted request does not poison the pool: the next ones succeed", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    await kubeRequest(kc, get);
    const ac = new AbortController();
    const pending = kubeRequest(kc, { method: "GET", path: "/slow" }, { signal: ac.signal });
    await vi.waitFor(() => expect(authorizations).toHaveLength(2));
    ac.abort(new Error("reconcile cancelled"));
    await expect(pending).rejects.toThrow("reconcile cancelled");
    // A request that timed out leaves its connection behind the same way.
    await expect(kubeRequest(kc, { method: "GET", path: "/slow" }, { timeoutMs: 50 })).rejects.toThrow();
    for (let i = 0; i < 3; i++) {
      await expect(kubeRequest(kc, get)).resolves.toMatchObject({ metadata: { name: "ml" } });
    }
    // The cancelled connections were dropped (each later request needed at most one new one), never reused.
    expect(authorizations).toHaveLength(6);
    expect(connections).toBeLessThanOrEqual(3);
  });

  it("a kept connection the server closed as a request went out: the request is sent again on a new one (not a POST)", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    await kubeRequest(kc, get);
    dropNext = true;
    await expect(kubeRequest(kc, { method: "GET", path: "/drop" })).resolves.toMatchObject({ kind: "Namespace" });
    expect(connections).toBe(2);
    dropNext = true;
    await expect(kubeRequest(kc, { method: "POST", path: "/drop", body: {} })).rejects.toThrow();
  });

  it("a DELETE with DeleteOptions on a kept connection leaves it clean for the next request", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    await kubeRequest(kc, get);
    const body = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" };
    await kubeRequest(kc, { method: "DELETE", path: "/api/v1/namespaces/ml", body });
    for (let i = 0; i < 3; i++) await expect(kubeRequest(kc, get)).resolves.toMatchObject({ kind: "Namespace" });
    expect(bodies.at(-4)).toEqual(JSON.stringify(body));
    expect(connections).toBe(1);
  });

  it("a watch holds a connection of its own, never a pooled one", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    await kubeRequest(kc, get);
    const events: string[] = [];
    const watch = await startWatch(kc, "/api/v1/namespaces/ml/pods", {}, (ev) => events.push(ev.type));
    await vi.waitFor(() => expect(events).toEqual(["ADDED"]));
    for (let i = 0; i < 3; i++) await kubeRequest(kc, get);
    expect(authorizations).toEqual(Array(5).fill("Bearer static"));
    // The pooled connection, and the watch's: the requests before and after it share one that the watch did not take.
    expect(connections).toBe(2);
    const [before, watchPort, ...after] = ports;
    expect(after).toEqual([before, before, before]);
    expect(watchPort).not.toBe(before);
    watch.abort();
    await watch.done;
  });

  it("client-node's generated clients share the pool too (makePooledApiClient)", async () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    const core = makePooledApiClient(kc, CoreV1Api);
    for (let i = 0; i < 5; i++) expect((await core.readNamespace({ name: "ml" })).metadata?.name).toBe("ml");
    expect(authorizations).toEqual(Array(5).fill("Bearer static"));
    expect(connections).toBe(1);
  });

  it("new TLS material (a rotated client certificate or CA) gets a new pool; the same material keeps it", () => {
    const kc = kubeconfig({ name: "u", token: "static" });
    const pem = readFileSync(join(dir, "tls.crt"));
    const [ca1, ca2] = [pem, Buffer.concat([pem, pem])];
    const one = pooledAgent(kc, new Agent({ ca: ca1 }));
    expect(pooledAgent(kc, new Agent({ ca: Buffer.from(ca1) }))).toBe(one);
    expect((one as Agent).options.keepAlive).toBe(true);
    const two = pooledAgent(kc, new Agent({ ca: ca2 }));
    expect(two).not.toBe(one);
    const withCert = pooledAgent(kc, new Agent({ ca: ca2, cert: pem, key: readFileSync(join(dir, "tls.key")) }));
    expect(withCert).not.toBe(two);
    // Another kubeconfig never shares a pool.
    expect(pooledAgent(kubeconfig({ name: "u" }), new Agent({ ca: ca2 }))).not.toBe(withCert);
  });
});
