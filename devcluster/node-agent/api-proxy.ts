// In netns mode pods cannot reach the host's 127.0.0.1, where the API server and OpenBao listen: this forwards TCP
// from the bridge address (same port) to it. TLS passes through; their certificates also name the bridge address.
import { connect, createServer, type Server } from "node:net";

export function startTcpProxy(
  listen: { host: string; port: number },
  target: { host: string; port: number },
  log: (line: string) => void,
): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      server.on("error", (err) => log(`proxy ${listen.host}:${listen.port}: ${err.message}`));
      resolve(server);
    });
  });
}
