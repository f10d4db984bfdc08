import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fetchJson } from "./poller.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A pod's /monitoring that answers with an endless body (no content-length), counting what it managed to send. */
async function endless(): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once("drain", pump);
    };
    res.on("close", () => res.removeAllListeners("drain"));
    pump();
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/monitoring`, sent: () => sent };
}

describe("monitoring poller fetch", () => {
  it("finding: poller.ts checks its body limit only after reading the whole body — it stops reading at the limit", {
    timeout: 10_000,
  }, async () => {
    const pod = await endless();
    const start = performance.now();
    await expect(fetchJson(pod.url, 1024 * 1024)).rejects.toThrow(/answer too large/);
    // Refused as soon as the limit is crossed, not at the 3 s timeout after buffering everything sent by then.
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it("refuses a declared content-length over the limit without reading the body", async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) });
      res.write("{");
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await expect(fetchJson(url, 1024 * 1024)).rejects.toThrow(/answer too large/);
  });

  it("reads an answer within the limit", async () => {
    server = createServer((_req, res) => res.end(JSON.stringify({ ok: true })));
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await fetchJson(url)).toEqual({ ok: true });
  });
});
