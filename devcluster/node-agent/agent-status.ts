// Reads the running node agent's GET /status (its pod network) from the cluster:up side: undefined until it answers.
import { request } from "node:http";

export interface AgentNetwork {
  mode: "netns" | "loopback";
  gateway?: string;
  reason?: string;
}

/** The pod network the agent on `port` reports, or undefined when it does not answer (yet). */
export function agentNetwork(port: number): Promise<AgentNetwork | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/status", timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => {
        try {
          resolve((JSON.parse(body) as { network?: AgentNetwork }).network);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}
