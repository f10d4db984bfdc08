import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginError } from "../cli/errors.js";
import { chooseApiKey } from "../serve/api-key.js";
import { apiKeysIn, firstKey, readApiKeys, vaultLogin } from "./vault.js";

const empty = mkdtempSync(join(tmpdir(), "plugin-vault-"));

describe("the user's Vault login", () => {
  it("comes from VAULT_ADDR and VAULT_TOKEN, else ~/.vault-token, else BAO_*", () => {
    expect(vaultLogin({ VAULT_ADDR: "https://v:8200", VAULT_TOKEN: "t", VAULT_CACERT: "/ca.pem" }, empty)).toEqual({
      address: "https://v:8200",
      token: "t",
      caFile: "/ca.pem",
    });
    const home = mkdtempSync(join(tmpdir(), "plugin-vault-home-"));
    writeFileSync(join(home, ".vault-token"), "from-file\n");
    expect(vaultLogin({ VAULT_ADDR: "https://v:8200" }, home)?.token).toBe("from-file");
    expect(vaultLogin({ BAO_ADDR: "https://b", BAO_TOKEN: "bt" }, empty)).toEqual({
      address: "https://b",
      token: "bt",
    });
    expect(vaultLogin({ VAULT_TOKEN: "t" }, empty)).toBeUndefined();
    expect(vaultLogin({ VAULT_ADDR: "https://v:8200", VAULT_TOKEN: "" }, empty)).toBeUndefined();
  });

  it("takes the first of the keys a value holds", () => {
    expect(firstKey("# comment\n k1 ,k2")).toBe("k1");
    expect(firstKey(" \n")).toBeUndefined();
    expect(apiKeysIn("# comment\n k1 ,k2\nk3")).toEqual(["k1", "k2", "k3"]);
  });
});

describe("reading the key from Vault (KV v2)", () => {
  let server: Server;
  let address: string;
  const seen: { url: string | undefined; token: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url, token: req.headers["x-vault-token"] as string });
      if (req.headers["x-vault-token"] !== "good") return res.writeHead(403).end('{"errors":["permission denied"]}');
      if (req.url !== "/v1/secret/data/team/penguins-api") return res.writeHead(404).end('{"errors":[]}');
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { data: { keys: "lk_one,lk_two", other: "x" }, metadata: {} } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const ref = { path: "secret/data/team/penguins-api", key: "keys" };
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginError);
    return (err as PluginError).line();
  };

  it("reads GET /v1/<path> with the user's token and takes the value under the key", async () => {
    expect(await readApiKeys({ address, token: "good" }, ref)).toEqual(["lk_one", "lk_two"]);
    expect(seen.at(-1)).toEqual({ url: "/v1/secret/data/team/penguins-api", token: "good" });
  });

  it("says in one line what is wrong: refused, absent, no such key, unreachable", async () => {
    expect(await failure(readApiKeys({ address, token: "bad" }, ref))).toMatch(
      /^error: Vault refused to read secret\/data\/team\/penguins-api with your token \(HTTP 403\); log in again/,
    );
    expect(await failure(readApiKeys({ address, token: "good" }, { ...ref, path: "secret/data/none" }))).toMatch(
      /does not exist; check the ModelDeployment's spec\.auth\.apiKeys\.path$/,
    );
    expect(await failure(readApiKeys({ address, token: "good" }, { ...ref, key: "nope" }))).toMatch(
      /holds no API key under "nope"/,
    );
    expect(await failure(readApiKeys({ address: "http://127.0.0.1:1", token: "good" }, ref))).toMatch(
      /^error: cannot reach Vault secret .* \(ECONNREFUSED\); check VAULT_ADDR/,
    );
  });

  it("chooses --key-file, else no key without spec.auth, else Vault; no login is one line saying what to set", async () => {
    const mdep = { metadata: { name: "penguins" }, spec: { auth: { apiKeys: ref } } };
    const keyFile = join(empty, "key");
    writeFileSync(keyFile, "lk_file\n");
    expect(await chooseApiKey(mdep, { keyFile, env: {}, home: empty })).toEqual({
      key: "lk_file",
      source: `--key-file ${keyFile}`,
    });
    expect(await chooseApiKey({ metadata: { name: "open" }, spec: {} }, { env: {}, home: empty })).toEqual({
      source: "no key (spec.auth is not set)",
    });
    expect((await chooseApiKey(mdep, { env: { VAULT_ADDR: address, VAULT_TOKEN: "good" }, home: empty })).key).toBe(
      "lk_one",
    );
    expect(await failure(chooseApiKey(mdep, { env: {}, home: empty }))).toBe(
      'error: no Vault login to read the API key of modeldeployment/penguins (spec.auth.apiKeys: secret/data/team/penguins-api, key "keys"); set VAULT_ADDR and VAULT_TOKEN (or run vault login), or pass --key-file FILE',
    );
    expect(await failure(chooseApiKey(mdep, { keyFile: join(empty, "absent"), env: {} }))).toMatch(
      /^error: cannot read --key-file .*absent \(ENOENT\); /,
    );
  });
});
