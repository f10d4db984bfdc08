// A sliver of the kubelet's HTTPS API so `kubectl logs [-f] [--tail N]` works: the API server proxies
// /containerLogs/<ns>/<pod>/<container> to the node's InternalIP and kubeletEndpoint port. It does not verify
// the kubelet's certificate unless --kubelet-certificate-authority is set (it is not), so any certificate serves.
// Also /metrics/resource (resource-metrics.ts), which metrics-server scrapes (--kubelet-insecure-tls).
import { createReadStream, existsSync, readFileSync, statSync, unwatchFile, watchFile } from "node:fs";
import { createServer, type Server } from "node:https";
import { logFile, podDir } from "./layout.js";
import { nodeResourceMetrics } from "./resource-metrics.js";

/** The last `lines` lines of `text` (pure). */
export function tail(text: string, lines: number): string {
  if (lines < 0) return text;
  const parts = text.split("\n");
  const trailing = parts[parts.length - 1] === "" ? parts.pop() : undefined;
  const kept = lines === 0 ? [] : parts.slice(-lines);
  return kept.join("\n") + (trailing === "" && kept.length > 0 ? "\n" : "");
}

export function startKubeletServers(opts: {
  nodes: { name: string; address: string }[];
  port: number;
  cert: string;
  key: string;
  stateDir: string;
  podsDir: string;
  log(line: string): void;
}): Server[] {
  const tls = { cert: readFileSync(opts.cert), key: readFileSync(opts.key) };
  return opts.nodes.map(({ name, address }) => {
    const server = createServer(tls, (req, res) => {
      const url = new URL(req.url ?? "/", "https://kubelet");
      if (url.pathname === "/healthz") return void res.writeHead(200).end("ok");
      if (url.pathname === "/metrics/resource") {
        const body = nodeResourceMetrics({
          node: name,
          nodes: opts.nodes.length,
          stateDir: opts.stateDir,
          podsDir: opts.podsDir,
        });
        return void res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(body);
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m)
        return void res.writeHead(404).end("the liftoff node agent serves only /containerLogs and /metrics/resource");
      const [, ns = "", pod = "", container = ""] = m.map(decodeURIComponent);
      const file = logFile(podDir(opts.podsDir, ns, pod), container);
      if (!existsSync(file)) return void res.writeHead(404).end(`no logs for container ${container} of ${ns}/${pod}`);
      const tailLines = Number(url.searchParams.get("tailLines") ?? -1);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      // Whole file (all runs, appended) or its tail; kubectl's --previous is not distinguished.
      const text = readFileSync(file, "utf8");
      res.write(tail(text, Number.isInteger(tailLines) ? tailLines : -1));
      if (url.searchParams.get("follow") !== "true") return void res.end();
      let offset = Buffer.byteLength(text);
      const onChange = () => {
        const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
        if (size <= offset) return;
        createReadStream(file, { start: offset, end: size - 1 }).pipe(res, { end: false });
        offset = size;
      };
      watchFile(file, { interval: 250 }, onChange);
      req.on("close", () => unwatchFile(file, onChange));
    });
    server.on("error", (err) => opts.log(`kubelet API on ${address}:${opts.port}: ${err.message}`));
    server.listen(opts.port, address);
    return server;
  });
}
