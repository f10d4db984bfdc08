/**
 * The baseline: a bare Fastify route that parses the same JSON body and
 * answers a constant prediction; nothing else (no model, no metrics, no auth).
 */
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/predict", async () => ({ predictions: [[0.5, 0.5]] }));
app.get("/ready", async () => ({ ready: true }));
await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`bare fastify on port ${(app.server.address() as { port: number }).port}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
