// Receives a socket audit device's stream (production Vault/OpenBao: `audit "socket" … { address = "<operator>:<port>",
// socket_type = "tcp" }`): one JSON entry a line over TCP, from one connection Vault keeps and reopens. Vault's
// socket device has no TLS and no authentication, so anyone who reaches this port could add lines: listen only where
// Vault alone reaches it (docs/vault.md, "Access record"). Entries sent while the operator is down are not resent
// (Vault then blocks requests if no other audit device succeeds): keep a file device beside it.
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { LineSplitter } from "./lines.js";

export interface AuditSocketSource {
  /** The bound port (0 in the options picks one). */
  port: number;
  stop(): Promise<void>;
}

export async function listenAuditSocket(
  host: string,
  port: number,
  onLine: (line: string) => void,
  opts: { log?: Logger } = {},
): Promise<AuditSocketSource> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const split = new LineSplitter(onLine);
    socket.on("data", (chunk: Buffer) => split.push(chunk));
    socket.on("error", (err) => opts.log?.warn({ err: err.message }, "audit socket connection failed"));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
