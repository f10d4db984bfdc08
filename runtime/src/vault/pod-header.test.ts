// The pod names itself in every Vault call (X-Liftoff-Pod, for the access record of Vault's audit log), and the
// header rides beside the token without pinning it: after a fresh login the new token is what is sent.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginVaultClient } from "./client.js";
import { vaultOptionsFromEnv } from "./env.js";

let server: Server;
let address: string;
let dir: string;
let logins = 0;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "liftoff-vault-pod-"));
  await writeFile(path.join(dir, "token"), "jwt");
  server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    seen.push({ url: req.url ?? "", headers: req.headers });
    if (req.url === "/v1/auth/kubernetes/login") {
      logins += 1;
      return send(200, { auth: { client_token: `t${logins}`, lease_duration: 0, renewable: false } });
    }
    // The first token is "revoked" after one read: the client must log in again and send the new one.
    if (req.headers["x-vault-token"] === "t1" && seen.filter((s) => s.headers["x-vault-token"] === "t1").length > 1)
      return send(403, { errors: ["permission denied"] });
    return send(200, { data: { data: { wrappedKey: "w" } } });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe("X-Liftoff-Pod", () => {
  it("goes with every call, the login included, and never holds on to an old token", async () => {
    const client = await loginVaultClient({ address, role: "r", tokenFile: path.join(dir, "token"), pod: "train-abc" });
    try {
      const key = "secret/data/team-a/liftoff-datakeys/penguins/k";
      await client.readKvData(key);
      await client.readKvData(key); // refused with t1 → login → t2
      await client.readKvData(key);
    } finally {
      client.close();
    }
    expect(seen.map((s) => [s.url.replace(/\/v1\/secret.*/, "read"), s.headers["x-vault-token"] ?? "-"])).toEqual([
      ["/v1/auth/kubernetes/login", "-"],
      ["read", "t1"],
      ["read", "t1"],
      ["/v1/auth/kubernetes/login", "t1"], // node-vault sends the token it holds; Vault ignores it on a login
      ["read", "t2"],
      ["read", "t2"],
    ]);
    expect(seen.every((s) => s.headers["x-liftoff-pod"] === "train-abc")).toBe(true);
  });

  it("comes from LIFTOFF_VAULT_POD_NAME, which the operator sets from the downward API", () => {
    const env = { LIFTOFF_VAULT_ADDR: "https://v:8200", LIFTOFF_VAULT_ROLE: "r" };
    expect(vaultOptionsFromEnv({ ...env, LIFTOFF_VAULT_POD_NAME: "p-1" }).pod).toBe("p-1");
    expect(vaultOptionsFromEnv(env).pod).toBeUndefined();
  });
});
