// The operator's copy of the operator↔runtime contract. The contract is written once, in runtime/src/contract/;
// each image compiles only its own folder (operator/ or runtime/, tsconfig.build.json's rootDir src), so the
// operator cannot import a file of runtime/ and gets these files as generated copies in operator/src/contract/, like
// the chart's copies of crds/: `npm run gen` writes them and hack/gen-crds.test.ts fails on a stale one.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../devcluster/cluster/config.js";

/** The contract modules both sides import (the runtime's artifact formats and preprocessing are its own). */
export const SHARED_CONTRACT_FILES = [
  "dataset.ts",
  "model-uri.ts",
  "pod-env.ts",
  "report.ts",
  "serving.ts",
  "training.ts",
  "vault-reasons.ts",
] as const;

export const contractCopyHeader = (source: string) =>
  `// Copy of ${source}, written by \`npm run gen\`; edit that file, not this one.\n`;

export function renderContractCopies(): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of SHARED_CONTRACT_FILES) {
    const source = `runtime/src/contract/${file}`;
    files.set(
      `operator/src/contract/${file}`,
      contractCopyHeader(source) + readFileSync(join(REPO_ROOT, source), "utf8"),
    );
  }
  return files;
}
