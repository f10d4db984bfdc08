// Prints the objects the operator builds for the samples (run-objects.ts) as one YAML stream:
//   npx tsx hack/render-run-objects.ts [--runtime-image registry/repo:tag@sha256:…]
import { stringify } from "yaml";
import { exitOnHelp } from "../bench/lib/help.js";
import { runObjects } from "./checkov/run-objects.js";

exitOnHelp(import.meta.filename);

const i = process.argv.indexOf("--runtime-image");
const runtimeImage = i >= 0 ? process.argv[i + 1] : undefined;
process.stdout.write(
  runObjects(runtimeImage ? { runtimeImage } : {})
    .map((o) => stringify(o))
    .join("---\n"),
);
