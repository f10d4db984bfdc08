/**
 * The baseline: a bare Fastify route that parses the same JSON body and
 * answers the same bytes the runtime answers (BARE_REPLY, set by bench/runtime.ts
 * to the runtime's reply for that body); nothing else (no model, no metrics,
 * no auth, no security headers).
 * To measure what the runtime's fixed parts cost on their own (docs/performance.md, "Inference runtime"):
 * BARE_HEADERS=1 adds the runtime's six security headers from an onRequest hook, as the runtime sets them;
 * BARE_LOGGER=1 turns Fastify's logger on with request logging off, as the runtime runs it.
 */

import { SECURITY_HEADERS } from "../runtime/src/serve/http/security-headers.js";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { default: Fastify, LogController } = await import("fastify");

// An object, so Fastify serialises it on every request as the runtime does its reply.
const reply: unknown = JSON.parse(process.env.BARE_REPLY ?? '{"predictions":[[0.5,0.5]]}');
const app = Fastify(
  process.env.BARE_LOGGER === "1"
    ? { logger: { level: "info" }, logController: new LogController({ disableRequestLogging: true }) }
    : { logger: false },
);
if (process.env.BARE_HEADERS === "1") {
  // The same six headers, set the same way as runtime/src/serve/http/app.ts does.
  const headers = SECURITY_HEADERS;
  app.addHook("onRequest", (_req, r, done) => {
    r.headers(headers);
    done();
  });
}
app.post("/predict", async () => reply);
app.get("/ready", async () => ({ ready: true }));
await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`bare fastify on port ${(app.server.address() as { port: number }).port}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
