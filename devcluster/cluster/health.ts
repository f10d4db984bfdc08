// Polls a component's health endpoint until it answers 200 or the deadline passes.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { HealthCheck } from "./components.js";

function probe(check: HealthCheck, timeoutMs = 2000): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolvePromise) => {
    const url = new URL(check.url);
    const tls = url.protocol === "https:";
    const options = {
      method: "GET",
      timeout: timeoutMs,
      ...(tls
        ? {
            ca: check.caCert ? readFileSync(check.caCert) : undefined,
            // Components with self-signed serving certs (controller-manager, scheduler) are checked without a CA.
            rejectUnauthorized: check.caCert !== undefined,
            cert: check.clientCert ? readFileSync(check.clientCert.cert) : undefined,
            key: check.clientCert ? readFileSync(check.clientCert.key) : undefined,
          }
        : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolvePromise({ ok: res.statusCode === 200, detail: `HTTP ${res.statusCode}: ${body.slice(0, 300)}` }),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => resolvePromise({ ok: false, detail: err.message }));
    req.end();
  });
}

export async function waitHealthy(
  check: HealthCheck,
  timeoutSeconds: number,
  stillRunning: () => boolean,
): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = { ok: false, detail: "not probed" };
  while (Date.now() < deadline) {
    last = await probe(check);
    if (last.ok) return last;
    if (!stillRunning()) return { ok: false, detail: "process exited" };
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
