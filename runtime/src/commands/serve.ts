/** `serve`: runs the inference server until SIGTERM/SIGINT, then drains and exits 0. */
import { serveHelp } from "../config.js";
import { ConfigError } from "../errors.js";
import { EgressError } from "../net/egress.js";
import { VaultError } from "../vault/errors.js";
import { type Command, fail, wantsHelp } from "./command.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "serve a TensorFlow.js model over HTTP (V1, V2) and gRPC (V2, TF Serving)",
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(`${serveHelp()}\n`);
      return;
    }
    // Imported after --help: the server, TensorFlow.js and its backends take seconds to load.
    const { startServe } = await import("../serve/start.js");
    let running: Awaited<ReturnType<typeof startServe>>;
    try {
      running = await startServe(argv, process.env);
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message, 2);
      // Vault down, sealed, refusing the role, or no such secret: one line naming path and role, exit 1 so the pod
      // restarts (recovering by itself once Vault is back) and the ModelDeployment's condition shows the reason.
      if (err instanceof VaultError) fail(err.message, 1);
      throw err;
    }
    const stop = (signal: string) => {
      running.app.log.info(`${signal} received`);
      running.shutdown().then(
        () => process.exit(0),
        (err: unknown) => fail(`shutdown failed: ${(err as Error).message}`, 1),
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    try {
      await running.loaded;
    } catch (err) {
      // Exit so the pod restarts and its status shows why; readiness was never true. The URI names the model as the
      // ModelDeployment does (spec.model.uri, or its TrainingJob's status.model.uri), not as a path in this pod.
      // A refused destination, a Vault or an object storage failure leads with its reason, which the operator's
      // condition takes (EgressRefused, VaultPermissionDenied, StorageNotFound, StorageAccessDenied, …).
      // A storage failure's message starts with its reason already (StorageNotFound: s3://bucket/key: …).
      const why =
        err instanceof EgressError || (err instanceof VaultError && !err.message.startsWith(err.reason))
          ? `${err.reason}: ${err.message}`
          : (err as Error).message;
      const message = `cannot load model ${running.config.modelUri}: ${why}`;
      running.app.log.error(message);
      await running.close();
      fail(message, 1);
    }
  },
};
