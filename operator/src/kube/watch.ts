// A raw streaming watch: newline-delimited JSON events from ?watch=1, with bookmarks and a server-side timeout.
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { applyWatchHTTPSOptions } from "./agent.js";
import type { KubeObject } from "./types.js";

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; message?: string; reason?: string };
}

export interface WatchHandle {
  /** Resolves when the stream ends (server timeout, abort) and rejects on transport errors or non-200. */
  done: Promise<void>;
  abort(): void;
}

export async function startWatch(
  kc: KubeConfig,
  path: string,
  params: Record<string, string>,
  onEvent: (ev: WatchEvent) => void,
): Promise<WatchHandle> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(path, cluster.server);
  url.searchParams.set("watch", "1");
  url.searchParams.set("allowWatchBookmarks", "true");
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const opts: Parameters<typeof request>[1] = { method: "GET", headers: { accept: "application/json" } };
  await applyWatchHTTPSOptions(kc, opts);
  const controller = new AbortController();
  opts.signal = controller.signal;
  const done = new Promise<void>((resolvePromise, reject) => {
    const req = request(url, opts, (res) => {
      if (res.statusCode !== 200) {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString("utf8");
        });
        res.on("end", () =>
          reject(
            Object.assign(new Error(`watch ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`), {
              code: res.statusCode,
            }),
          ),
        );
        return;
      }
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch {
            ev = { type: "ERROR", object: { message: `unparsable watch line: ${line.slice(0, 200)}` } };
          }
          onEvent(ev);
        }
      });
      res.on("end", () => resolvePromise());
      res.on("error", (err) => (controller.signal.aborted ? resolvePromise() : reject(err)));
    });
    req.on("error", (err) => (controller.signal.aborted ? resolvePromise() : reject(err)));
    req.end();
  });
  return { done, abort: () => controller.abort() };
}
