// The operator as a command: flags and environment in, a running operator until SIGTERM/SIGINT out. Bad flags and
// an unusable kubeconfig end it with one line, not a stack.
import { ConfigError, parseConfig, usage } from "./config.js";

export async function runOperator(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv.includes("--help")) {
    console.log(usage());
    return;
  }
  const config = parseConfig(argv, env);
  // Imported after --help and the flags: the Kubernetes client and the controllers take seconds to load.
  const [{ kubeconfigProblem }, { startOperator }] = await Promise.all([
    import("./kubeconfig-check.js"),
    import("./operator.js"),
  ]);
  const problem = kubeconfigProblem(config.kubeconfig, env);
  if (problem) throw new ConfigError(problem);
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

/** Ends the process: a ConfigError as one line, anything else with its stack. */
export function exitOnStartFailure(err: unknown): never {
  console.error(err instanceof ConfigError ? `liftoff-operator: ${err.message}` : err);
  process.exit(1);
}
