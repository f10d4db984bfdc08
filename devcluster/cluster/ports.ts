// Tells, before anything starts, whether a loopback port is free (so a clash is one clear line, not a crash log).
import { createServer } from "node:net";

export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once("error", () => resolvePromise(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}
