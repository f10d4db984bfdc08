/**
 * --tls-cert-file / --tls-key-file: the PEM certificate (chain) and key both listeners serve, HTTPS and gRPC over
 * TLS. Read once at start and checked by building a TLS context, so a wrong pair is one line at start rather than
 * a failed handshake per connection. A renewed certificate takes a restart (a new pod, as a rollout gives).
 */
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { ConfigError } from "../errors.js";

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

async function read(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(`cannot read --${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Undefined without the flags (plain HTTP and gRPC); parseServeConfig has already refused one without the other. */
export async function loadTls(certFile: string | undefined, keyFile: string | undefined): Promise<TlsPair | undefined> {
  if (certFile === undefined || keyFile === undefined) return undefined;
  const [cert, key] = await Promise.all([read(certFile, "tls-cert-file"), read(keyFile, "tls-key-file")]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(
      `--tls-cert-file and --tls-key-file are not a matching PEM certificate and key: ${(err as Error).message}`,
    );
  }
  return { cert, key };
}
