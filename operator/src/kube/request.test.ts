import { createServer, type Server, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeRequest } from "./request.js";

// A server that accepts connections and never answers (not even the TLS handshake): an API server that hangs.
let server: Server;
const sockets: Socket[] = [];
let kc: KubeConfig;

beforeAll(async () => {
  server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const get = { method: "GET", path: "/api/v1/namespaces/ml/pods/p" } as const;

describe("kubeRequest", () => {
  it("gives up on a server that does not answer after its timeout", async () => {
    const err = await kubeRequest(kc, get, { timeoutMs: 50 }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "TimeoutError", message: expect.stringContaining("GET /api/v1/") });
  });

  it("is cancelled by its caller's signal, with the signal's reason as the cause", async () => {
    const ac = new AbortController();
    const pending = kubeRequest(kc, get, { signal: ac.signal, timeoutMs: 60_000 });
    setTimeout(() => ac.abort(new Error("controller stopping")), 20);
    const err = await pending.catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("controller stopping");
    expect((err as Error).cause).toMatchObject({ message: "controller stopping" });
  });

  it("sends nothing when the signal has already aborted", async () => {
    const before = sockets.length;
    const err = await kubeRequest(kc, get, { signal: AbortSignal.abort(new Error("too late")) }).catch((e) => e);
    expect((err as Error).message).toContain("too late");
    expect(sockets.length).toBe(before);
  });
});
