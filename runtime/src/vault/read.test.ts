// The client's plain read (the AWS secrets engine's keys and lease) over HTTP against a small fake Vault: login,
// the whole response returned, and one fresh login when a read is refused with an expired token.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginVaultClient } from "./client.js";

let server: Server;
let address: string;
let dir: string;
let logins = 0;
let refuseNext = false;
const CREDS = {
  lease_id: "aws/creds/r/1",
  lease_duration: 900,
  renewable: true,
  data: { access_key: "AK", secret_key: "SK", security_token: null },
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "liftoff-vault-read-"));
  await writeFile(path.join(dir, "token"), "jwt");
  server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === "POST" && req.url === "/v1/auth/kubernetes/login") {
      logins += 1;
      return send(200, { auth: { client_token: `t${logins}`, lease_duration: 0, renewable: false } });
    }
    if (req.method === "GET" && req.url === "/v1/aws/creds/r") {
      if (req.headers["x-vault-token"] !== `t${logins}`) return send(403, { errors: ["permission denied"] });
      if (refuseNext) {
        refuseNext = false;
        return send(403, { errors: ["permission denied"] });
      }
      return send(200, CREDS);
    }
    return send(404, { errors: [] });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe("VaultKvClient.read", () => {
  it("returns Vault's whole response (data and lease), logging in again once when refused", async () => {
    const client = await loginVaultClient({ address, role: "r", tokenFile: path.join(dir, "token") });
    try {
      expect(await client.read("aws/creds/r")).toEqual(CREDS);
      expect(logins).toBe(1);
      refuseNext = true;
      expect(await client.read("aws/creds/r")).toEqual(CREDS);
      expect(logins).toBe(2);
      await expect(client.read("aws/creds/nope")).rejects.toMatchObject({
        reason: "SecretNotFound",
        path: "aws/creds/nope",
      });
    } finally {
      client.close();
    }
  });
});
