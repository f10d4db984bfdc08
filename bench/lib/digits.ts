// scikit-learn's digits (1 797 × 64, written as CSV by bench/train_peers.py) prepared once by Liftoff's own
// `prepare` into `<work>/digits/prepared`: the training benches (bench:train, bench:dp) read the same version.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "../..");

/** The digits DataSet's spec: the CSV at raw/digits.csv on `claim`, standardised, split 80/10/10 with seed 42. */
export function digitsDataSet(claim: string) {
  return {
    source: { pvc: { claimName: claim, path: "raw/digits.csv" } },
    format: "csv",
    schema: {
      target: "digit",
      columns: [
        ...Array.from({ length: 64 }, (_, i) => ({ name: `px${i}`, type: "number" })),
        { name: "digit", type: "category" },
      ],
    },
    transforms: [{ type: "standardize" }],
    split: { train: 0.8, validation: 0.1, test: 0.1, seed: 42 },
    output: { claimName: claim, path: "prepared" },
  };
}

/** The prepared digits version folder under `work` (prepared on first use with `py`, the peers' venv Python). */
export function preparedDigits(py: string, work: string, log: (m: string) => void): string {
  const root = path.join(work, "digits");
  const out = path.join(root, "prepared");
  const csv = path.join(root, "raw", "digits.csv");
  if (!existsSync(out) || readdirSync(out).length === 0) {
    mkdirSync(path.dirname(csv), { recursive: true });
    execFileSync(py, [path.join(REPO, "bench/train_peers.py"), "digits-csv", csv]);
    const spec = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "DataSet",
      metadata: { name: "digits" },
      spec: digitsDataSet("bench"),
    };
    const specFile = path.join(root, "dataset.json");
    writeFileSync(specFile, JSON.stringify(spec));
    log("digits: prepare …");
    execFileSync(
      "node",
      [path.join(REPO, "runtime/dist/main.js"), "prepare", "--spec", specFile, "--source-root", root, "--out", out],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  const version = readdirSync(out).find((d) => /^[0-9a-f]{64}$/.test(d));
  if (!version) throw new Error(`prepare left no version folder in ${out}`);
  return path.join(out, version);
}
