/**
 * The baseline: a bare Fastify route that parses the same JSON body and
 * answers the same bytes the runtime answers (BARE_REPLY, set by bench/runtime.ts
 * to the runtime's reply for that body); nothing else (no model, no metrics,
 * no auth, no security headers).
 */
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { default: Fastify } = await import("fastify");

// An object, so Fastify serialises it on every request as the runtime does its reply.
const reply: unknown = JSON.parse(process.env.BARE_REPLY ?? '{"predictions":[[0.5,0.5]]}');
const app = Fastify({ logger: false });
app.post("/predict", async () => reply);
app.get("/ready", async () => ({ ready: true }));
await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`bare fastify on port ${(app.server.address() as { port: number }).port}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
