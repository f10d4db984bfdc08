// `liftoff-operator` / `npm run operator`: run the operator against $KUBECONFIG (or in-cluster config).
import { ConfigError, parseConfig, usage } from "./config.js";
import { startOperator } from "./operator.js";

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(usage());
    return;
  }
  const config = parseConfig(process.argv.slice(2), process.env);
  const op = await startOperator(config, {
    onLostLeadership: () => {
      console.error("liftoff-operator: lost the leader lease; exiting so a fresh start rejoins the election");
      process.exit(1);
    },
  });
  op.log.info({ port: op.port }, "serving /metrics /healthz /readyz");
  const shutdown = (signal: string) => {
    op.log.info({ signal }, "shutting down");
    op.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `liftoff-operator: ${err.message}` : err);
  process.exit(1);
});
