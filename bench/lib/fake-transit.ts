// A stand-in for Vault's Kubernetes login, KV v2 read and transit data keys, over plain HTTP on 127.0.0.1, for
// benchmarks that need a serving pod's Vault calls without a cluster (bench/capture.ts). The "wrapping" is an XOR
// with a key only this process holds: enough to round-trip, not a cipher. Tests use the real OpenBao.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";

export interface FakeTransit {
  address: string;
  /** Calls served, by path (what the runtime asked for). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startFakeTransit(kv: Record<string, Record<string, string>>): Promise<FakeTransit> {
  const kek = randomBytes(32);
  const xor = (b: Buffer) => Buffer.from(b.map((x, i) => x ^ (kek[i % 32] as number)));
  const calls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const url = (req.url ?? "").replace(/^\/v1\//, "");
      calls.set(url, (calls.get(url) ?? 0) + 1);
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const input = body ? (JSON.parse(body) as Record<string, string>) : {};
      if (url.startsWith("auth/") && url.endsWith("/login"))
        return send(200, { auth: { client_token: "bench", lease_duration: 3600, renewable: true } });
      if (url === "auth/token/renew-self") return send(200, { auth: { lease_duration: 3600, renewable: true } });
      if (url.startsWith("transit/datakey/wrapped/"))
        return send(200, { data: { ciphertext: `vault:v1:${xor(randomBytes(32)).toString("base64")}` } });
      if (url.startsWith("transit/decrypt/")) {
        const wrapped = Buffer.from(String(input.ciphertext ?? "").replace(/^vault:v1:/, ""), "base64");
        return send(200, { data: { plaintext: xor(wrapped).toString("base64") } });
      }
      const secret = kv[url];
      if (secret) return send(200, { data: { data: secret } });
      return send(404, { errors: [] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
