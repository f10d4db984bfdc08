// `tsx hack/setup.ts start|test`: fetches or builds, on first use, everything `npm start` or `npm test` needs
// beyond `npm ci` (libtensorflow, the control-plane binaries, kubectl and helm, ...). A warm run takes well under
// a second and prints one line.
import { componentsFor, type Target } from "./setup/components.js";
import { runSetup } from "./setup/run.js";

const target = process.argv[2];
if (target !== "start" && target !== "test") {
  console.error(`usage: tsx hack/setup.ts start|test (got "${target ?? ""}")`);
  process.exit(2);
}
const ok = await runSetup(componentsFor(target as Target));
process.exit(ok ? 0 : 1);
