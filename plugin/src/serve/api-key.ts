// Which API key a request to a ModelDeployment carries: --key-file, else none when spec.auth is not set, else the
// key from Vault under spec.auth.apiKeys read with the user's own login (cli/vault.ts).
import { readFile } from "node:fs/promises";
import { PluginError } from "../cli/errors.js";
import { firstKey, readApiKeys, type SecretRef, vaultLogin } from "../cli/vault.js";

export interface KeyChoice {
  key?: string;
  /** Where it came from, for messages (never the key). */
  source: string;
}

function apiKeyRef(mdep: { spec?: { auth?: { apiKeys?: Partial<SecretRef> } } }): SecretRef | undefined {
  const ref = mdep.spec?.auth?.apiKeys;
  return ref?.path && ref.key ? { path: ref.path, key: ref.key } : undefined;
}

export async function chooseApiKey(
  mdep: { metadata: { name: string }; spec?: { auth?: { apiKeys?: Partial<SecretRef> } } },
  opts: { keyFile?: string | undefined; env: NodeJS.ProcessEnv; home?: string },
): Promise<KeyChoice> {
  if (opts.keyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.keyFile, "utf8");
    } catch (err) {
      throw new PluginError(
        "BadInput",
        `cannot read --key-file ${opts.keyFile} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
        "pass a file that holds the API key",
      );
    }
    const key = firstKey(text);
    if (key === undefined)
      throw new PluginError("BadInput", `--key-file ${opts.keyFile} is empty`, "put the API key in it");
    return { key, source: `--key-file ${opts.keyFile}` };
  }
  const ref = apiKeyRef(mdep);
  if (ref === undefined) return { source: "no key (spec.auth is not set)" };
  const login = vaultLogin(opts.env, opts.home);
  if (login === undefined) {
    throw new PluginError(
      "NoVaultLogin",
      `no Vault login to read the API key of modeldeployment/${mdep.metadata.name} (spec.auth.apiKeys: ${ref.path}, key "${ref.key}")`,
      "set VAULT_ADDR and VAULT_TOKEN (or run vault login), or pass --key-file FILE",
    );
  }
  return { key: (await readApiKeys(login, ref))[0] as string, source: `Vault ${ref.path} (key "${ref.key}")` };
}
