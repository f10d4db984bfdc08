// `tsx hack/setup.ts start|test|bench`: fetches or builds, on first use, everything `npm start` or `npm test` needs
// beyond `npm ci` (libtensorflow, the control-plane binaries, kubectl and helm, ...), or what only a bench needs.
// A warm run takes well under a second and prints one line.
import { exitOnHelp } from "../bench/lib/help.js";

exitOnHelp(import.meta.filename);
// Imported after --help: the component list reads the lockfile and probes the caches.
const { componentsFor } = await import("./setup/components.js");
const { runSetup } = await import("./setup/run.js");
const target = process.argv[2];
if (target !== "start" && target !== "test" && target !== "bench") {
  console.error(`usage: tsx hack/setup.ts start|test|bench (got "${target ?? ""}")`);
  process.exit(2);
}
const ok = await runSetup(componentsFor(target as Parameters<typeof componentsFor>[0]));
process.exit(ok ? 0 : 1);
